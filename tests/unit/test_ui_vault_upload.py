"""A .zip of notes or of an Obsidian vault uploaded in the Library tab: unpacked into its own folder
(the vault keeps its mark, so ingest reads it as a vault), checked entry by entry first, replaced
whole on the next upload, and every refusal is a sentence."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from ingest.parse import parse_paths
from tests.paths import REPO
from tutor.core.errors import InputError
from ui.library import check_upload, unpack_notes

VAULT = REPO / "tests" / "data" / "formats" / "vault"


def zip_folder(folder: Path, out: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(out, "w") as z:
        for f in sorted(folder.rglob("*")):
            z.write(f, prefix + f.relative_to(folder).as_posix())
    return out


def test_a_zipped_vault_unpacks_as_a_vault_and_ingest_reads_its_notes(tmp_path: Path) -> None:
    archive = zip_folder(VAULT, tmp_path / "My Vault.zip", prefix="My Vault/")  # as Finder / Explorer zip it
    check_upload(archive.name, archive.stat().st_size)
    folder = unpack_notes(archive, tmp_path / "uploads" / "My_Vault")
    assert (folder / ".obsidian").is_dir() and not list((folder / ".obsidian").iterdir())  # its settings are not kept
    notes = sorted(p.name for p in folder.rglob("*.md"))
    assert notes == sorted(p.name for p in VAULT.rglob("*.md"))
    (tmp_path / "uploads" / "plain.md").write_text("# Plain\n\nAn upload beside the vault, [[not a link]].\n")
    docs, errors = parse_paths([tmp_path / "uploads"])  # the app ingests the whole uploads folder
    by_name = {d.doc: d for d in docs}
    assert not errors and sorted(by_name) == sorted([*notes, "plain.md"])
    quant = by_name["Квантизация.md"]  # read as a vault note: wiki-links as words, backlinks kept
    assert "[[" not in quant.text and quant.text.endswith("Linked from: KV cache.")
    assert "[[not a link]]" in by_name["plain.md"].text  # outside the vault, Markdown as it is


def test_the_next_upload_replaces_the_folder_whole(tmp_path: Path) -> None:
    first = tmp_path / "a.zip"
    with zipfile.ZipFile(first, "w") as z:
        z.writestr("old.md", "# Old\n\nA note that was removed from the vault later.\n")
        z.writestr("kept.txt", "kept")
    folder = unpack_notes(first, tmp_path / "notes")
    second = tmp_path / "b.zip"
    with zipfile.ZipFile(second, "w") as z:
        z.writestr("kept.txt", "kept, edited")
        z.writestr("run.exe", "MZ")  # not a note: not written
        z.writestr(".hidden/secret.md", "no")
    unpack_notes(second, folder)
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == ["kept.txt"]
    assert not (folder / ".obsidian").exists()  # a plain notes folder


@pytest.mark.parametrize("name", ["../evil.md", "/etc/evil.md", "a/../../evil.md", "C:/evil.md"])
def test_a_path_out_of_the_folder_unpacks_nothing(tmp_path: Path, name: str) -> None:
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("good.md", "# Good\n\nfine\n")
        z.writestr(name, "# Evil\n")
    with pytest.raises(InputError, match="path out of its folder"):
        unpack_notes(archive, tmp_path / "out" / "x")
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.md").exists()


def test_links_oversized_notes_empty_and_broken_archives_are_refused_with_a_sentence(tmp_path: Path) -> None:
    link = tmp_path / "link.zip"
    with zipfile.ZipFile(link, "w") as z:
        info = zipfile.ZipInfo("note.md")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, "/etc/passwd")
    with pytest.raises(InputError, match="holds a link"):
        unpack_notes(link, tmp_path / "o1")
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("huge.md", "a" * 5000)  # compresses to almost nothing: the unpacked size counts
    with pytest.raises(InputError, match="huge.md"):
        unpack_notes(big, tmp_path / "o2", max_bytes=1000)
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("deck.pptx", "x")
    with pytest.raises(InputError, match="holds no notes"):
        unpack_notes(empty, tmp_path / "o3")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError, match="not a readable .zip"):
        unpack_notes(broken, tmp_path / "o4")
    assert not any((tmp_path / f"o{i}").exists() for i in range(1, 5))
