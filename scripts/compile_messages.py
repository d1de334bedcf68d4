"""Compile the translation catalogues locale/*/LC_MESSAGES/*.po into the .mo files
Django reads, in plain Python (no GNU gettext needed, so `make run` works on a fresh
machine). Fuzzy and untranslated entries are left out, as msgfmt does; the test
tests/cardinal/test_i18n.py fails on either, so a shipped catalogue has none.

    python scripts/compile_messages.py          # every catalogue whose .mo is older
    python scripts/compile_messages.py --force  # every catalogue
"""

import ast
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "locale"


@dataclass
class Entry:
    context: str | None = None
    msgid: str = ""
    plural: str | None = None
    strings: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False

    @property
    def translated(self) -> bool:
        return bool(self.strings) and all(self.strings.values())


def _unquote(text: str, path: Path, number: int) -> str:
    text = text.strip()
    if not (text.startswith('"') and text.endswith('"')):
        raise SystemExit(f"{path}:{number}: expected a quoted string")
    return ast.literal_eval(text)


def parse(path: Path) -> list[Entry]:
    """The entries of a .po file, obsolete ones (#~) left out."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None  # the field continued by a bare "..." line
    started = False

    def finish():
        nonlocal entry, started
        if started:
            entries.append(entry)
        entry, started = Entry(), False

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if started and entry.strings:
                finish()
            if line.startswith("#,"):
                entry.fuzzy = "fuzzy" in [flag.strip() for flag in line[2:].split(",")]
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            if target is None:
                raise SystemExit(f"{path}:{number}: a string continues nothing")
            value = _unquote(line, path, number)
            name, index = target
            if name == "msgctxt":
                entry.context = (entry.context or "") + value
            elif name == "msgid":
                entry.msgid += value
            elif name == "msgid_plural":
                entry.plural = (entry.plural or "") + value
            else:
                entry.strings[index] += value
            continue
        if keyword in ("msgctxt", "msgid") and entry.strings:
            finish()
        started = True
        value = _unquote(rest, path, number)
        if keyword == "msgctxt":
            entry.context, target = value, ("msgctxt", 0)
        elif keyword == "msgid":
            entry.msgid, target = value, ("msgid", 0)
        elif keyword == "msgid_plural":
            entry.plural, target = value, ("msgid_plural", 0)
        elif keyword == "msgstr":
            entry.strings[0], target = value, ("msgstr", 0)
        elif keyword.startswith("msgstr[") and keyword.endswith("]"):
            index = int(keyword[7:-1])
            entry.strings[index], target = value, ("msgstr", index)
        else:
            raise SystemExit(f"{path}:{number}: unknown keyword {keyword!r}")
    finish()
    return entries


def mo_bytes(entries: list[Entry]) -> bytes:
    """The GNU .mo file of the translated, not fuzzy entries (the header always)."""
    pairs: dict[bytes, bytes] = {}
    for entry in entries:
        header = entry.msgid == "" and entry.context is None
        if not header and (entry.fuzzy or not entry.translated):
            continue
        key = entry.msgid
        if entry.context is not None:
            key = f"{entry.context}\x04{key}"
        if entry.plural is not None:
            key += "\x00" + entry.plural
            value = "\x00".join(entry.strings[i] for i in sorted(entry.strings))
        else:
            value = entry.strings.get(0, "")
        pairs[key.encode()] = value.encode()
    keys = sorted(pairs)
    header_size = 7 * 4
    ids_offset = header_size
    strs_offset = ids_offset + len(keys) * 8
    data_offset = strs_offset + len(keys) * 8
    ids = b""
    strs = b""
    id_table = []
    for key in keys:
        id_table.append((len(key), data_offset + len(ids)))
        ids += key + b"\x00"
    str_table = []
    strs_start = data_offset + len(ids)
    for key in keys:
        value = pairs[key]
        str_table.append((len(value), strs_start + len(strs)))
        strs += value + b"\x00"
    out = struct.pack("<7I", 0x950412DE, 0, len(keys), ids_offset, strs_offset, 0, 0)
    out += b"".join(struct.pack("<2I", *row) for row in id_table)
    out += b"".join(struct.pack("<2I", *row) for row in str_table)
    return out + ids + strs


def compile_all(force: bool = False) -> list[Path]:
    """Write each catalogue's .mo beside it; returns the ones written."""
    written = []
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.write_bytes(mo_bytes(parse(po)))
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_all(force="--force" in sys.argv[1:]):
        print(f"compiled {path.relative_to(LOCALE.parent)}")
