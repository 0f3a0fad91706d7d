#!/usr/bin/env python3
"""check-html.py: checks that a `tvp report --html` page stands alone.

    python3 scripts/check-html.py PAGE.html [--min-svg N]

Parses the page with Python's html.parser and fails (exit 1, one line per
problem) when: an element that loads something is there (link, script, img,
iframe, object, embed, a style's url() or @import); an href or src points
anywhere but into the page (#...); an id is used twice; the sections a
report has (h1, Findings, a table) are missing; fewer than N inline <svg>.
"""
import re
import sys
from html.parser import HTMLParser

LOADERS = {"link", "script", "img", "iframe", "object", "embed", "audio", "video", "source"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems, self.ids, self.tags, self.text = [], set(), {}, []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.in_style = tag == "style"
        if tag in LOADERS:
            self.problems.append(f"<{tag}> loads something from outside the page")
        for name, value in attrs:
            if name == "id":
                if value in self.ids:
                    self.problems.append(f"id '{value}' is used twice")
                self.ids.add(value)
            if name in ("href", "src", "xlink:href") and value and not value.startswith("#"):
                self.problems.append(f"<{tag} {name}='{value}'> points outside the page")
            if name == "style" and "url(" in (value or "") and "url(#" not in value:
                self.problems.append(f"<{tag} style> has a url()")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_style and re.search(r"url\((?!#)|@import", data):
            self.problems.append("the stylesheet loads something (url() or @import)")
        self.text.append(data)


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    min_svg = int(argv[argv.index("--min-svg") + 1]) if "--min-svg" in argv else 0
    page = Page()
    with open(argv[1], encoding="utf-8") as f:
        page.feed(f.read())
    page.close()
    text = " ".join(page.text)
    for tag in ("html", "head", "body", "h1", "h2"):
        if not page.tags.get(tag):
            page.problems.append(f"no <{tag}>")
    if "Findings" not in text:
        page.problems.append("no Findings section")
    if page.tags.get("svg", 0) < min_svg:
        page.problems.append(f"{page.tags.get('svg', 0)} inline <svg>, expected {min_svg} or more")
    for p in page.problems:
        print(f"check-html.py: {argv[1]}: {p}")
    if not page.problems:
        print(f"check-html.py: {argv[1]}: stands alone ({page.tags.get('svg', 0)} inline SVG, "
              f"{page.tags.get('table', 0)} tables)")
    return 1 if page.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
