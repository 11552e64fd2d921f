"""Writes the sample notes in each format llama-index reads for us (committed; re-run to rebuild):

    .venv/bin/python tests/data/formats/make.py

The same short notes (a heading, a level, one Q/A pair) as .docx (a minimal WordprocessingML
package), .epub (EbookLib) and .html, so the tests can check that the structure survives each reader.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

HERE = Path(__file__).parent
TITLE = "Квантизация"
LEVEL = "Basic"
QUESTION = "Q: Зачем нужна квантизация?"
ANSWER = ("A: Квантизация уменьшает память модели: INT8 хранит каждый вес в 8 битах вместо 16, "
          "поэтому модель 7B занимает около 7 GB вместо 14 GB.")
MORE = "GPTQ и AWQ квантуют веса после обучения и почти не теряют качества на 4 битах."


def docx(path: Path) -> None:
    def para(text: str, style: str = "") -> str:
        ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        return f"<w:p>{ppr}<w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>"

    body = "".join([para(TITLE, "Heading1"), para(LEVEL, "Heading2"), para(QUESTION), para(ANSWER), para(MORE)])
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f"<w:body>{body}</w:body></w:document>")
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             '<Override PartName="/word/document.xml" ContentType="application/'
             'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", rels)
        z.writestr("word/document.xml", document)


def html_body() -> str:
    return (f"<h1>{TITLE}</h1>\n<h2>{LEVEL}</h2>\n<p>{QUESTION}<br>\n{ANSWER}</p>\n<p>{MORE}</p>\n")


def html(path: Path) -> None:
    path.write_text(f"<!doctype html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>{TITLE}</title></head>"
                    f"<body>\n{html_body()}</body></html>\n", encoding="utf-8")


def epub(path: Path) -> None:
    from ebooklib import epub as eb

    book = eb.EpubBook()
    book.set_identifier("tutor-sample-notes")
    book.set_title(TITLE)
    book.set_language("ru")
    chapter = eb.EpubHtml(title=TITLE, file_name="notes.xhtml", lang="ru")
    chapter.content = html_body()
    book.add_item(chapter)
    book.toc = [chapter]
    book.spine = ["nav", chapter]
    book.add_item(eb.EpubNcx())
    book.add_item(eb.EpubNav())
    eb.write_epub(str(path), book)


if __name__ == "__main__":
    docx(HERE / "notes.docx")
    html(HERE / "notes.html")
    epub(HERE / "notes.epub")
    print("wrote", ", ".join(p.name for p in sorted(HERE.glob("notes.*"))))
