/* channel_kind.h: the transports a process pool can move jobs and results
 * through. Apart from channel.h so that pool.h can name them without
 * pulling in the channel API. */
#ifndef PAR_CHANNEL_KIND_H
#define PAR_CHANNEL_KIND_H

enum channel_kind { CHANNEL_PIPE, CHANNEL_SHM };

#endif
