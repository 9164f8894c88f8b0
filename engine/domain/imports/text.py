"""The text of a file people bring: UTF-8, else what Excel on Swedish Windows writes."""

from __future__ import annotations

import codecs

from engine.domain.errors import ImportInvalid


def decode(filename: str, content: bytes, *, save_as: str = "CSV UTF-8") -> str:
    """UTF-8 (with or without BOM), else Windows-1252 (Excel's "CSV" on Swedish Windows,
    Notepad's "ANSI"); neither: refused, naming the line of the first byte that is not
    text and how to save the file instead (``save_as``). A file that starts with UTF-16's
    byte-order mark (Excel's "Unicode text", Notepad's "UTF-16") is read as UTF-16."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError as utf16:
            line = content[: utf16.start].decode("utf-16", "replace").count("\n") + 1
            en = f"the file is UTF-16 text that is cut off or broken; save it as '{save_as}'"
            sv = f"filen är UTF-16-text som är avklippt eller trasig; spara den som '{save_as}'"
            raise ImportInvalid.at(filename, line, en, sv) from None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as utf8:
        try:
            return content.decode("cp1252")
        except UnicodeDecodeError as ansi:
            line = content.count(b"\n", 0, ansi.start) + 1
            first = content.count(b"\n", 0, utf8.start) + 1
            byte = content[ansi.start]
            en = (
                f"the file is neither UTF-8 (not from line {first}) nor Windows-1252 text "
                f"(byte 0x{byte:02x}); save it as '{save_as}'"
            )
            sv = (
                f"filen är varken UTF-8-text (inte från rad {first}) eller Windows-1252 "
                f"(byte 0x{byte:02x}); spara den som '{save_as}'"
            )
            raise ImportInvalid.at(filename, line, en, sv) from None


def delimiter(text: str) -> str:
    """The separator of a CSV file by its first line: ``;`` (Excel with a Swedish locale),
    a tab (Excel's "Unicode text") or ``,``, whichever that line has most of."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return max((",", ";", "\t"), key=first.count)
