"""Extract the Paths and Definitions of the KACE SMA 10.2 API reference (its text rendering) into
src/estate/apidocs/kace-reference.json, the data the OpenAPI document is built from.

    python scripts/kace_reference.py REFERENCE.txt > src/estate/apidocs/kace-reference.json

Run by hand when the reference changes; Estate reads only the JSON it writes."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

SECTIONS = {
    "API Reference": "Account Management",
    "Asset API Reference": "Asset",
    "Inventory API Reference": "Inventory",
    "Managed Install API Reference": "Managed Install",
    "Reporting API Reference": "Reporting",
    "Scripting API Reference": "Scripting",
    "User API Reference": "User",
    "Service Desk API Reference": "Service Desk",
}
OPERATION = re.compile(r"^(GET|POST|PUT|DELETE|PATCH) (\S+)\s*$")
PARAMETER = re.compile(r"^(Path|Query|Body|Header|FormData)\t")
RESPONSE = re.compile(r"^(\d{3})\t(.*)$")
FLAGS = ("required", "optional", "read-only")
# Words the rendering cut short: "ole" is the Role of the role routes.
CORRECTIONS = {"ole": "Role"}
BLOCK_WORDS = {"Description", "Parameters", "Responses", "Paths", "Definitions", "Overview"}


def _name_and_flag(cells: list[str]) -> tuple[str, str, list[str]]:
    """The field name and its flag ("name required", or "name" then "required" in its own cell)."""
    first, rest = cells[0].strip(), cells[1:]
    for flag in FLAGS:
        if first.endswith(" " + flag):
            return first[: -len(flag) - 1].strip(), flag, rest
    if rest and rest[0].strip() in FLAGS:
        return first, rest[0].strip(), rest[1:]
    return first, "optional", rest


def _field(line: str, with_description: bool) -> dict[str, Any]:
    cells = line.split("\t")
    name, flag, rest = _name_and_flag(cells)
    rest = [cell.strip() for cell in rest]
    if with_description and len(rest) >= 2:
        description, schema = rest[0], rest[1]
    else:
        description, schema = "", next((cell for cell in reversed(rest) if cell), "")
    field: dict[str, Any] = {"name": name, "schema": schema}
    if flag != "optional":
        field["flag"] = flag
    if description:
        field["description"] = description
    return field


def _parameter(line: str, with_description: bool) -> dict[str, Any]:
    cells = line.split("\t")
    place, rest = cells[0].lower(), cells[1:]
    name, flag, rest = _name_and_flag(rest)
    rest = [cell.strip() for cell in rest]
    description, default = "", None
    if with_description and len(rest) >= 2:
        description, schema = rest[0], rest[1]
        default = rest[2] if len(rest) > 2 and rest[2] else None
    else:
        schema = next((cell for cell in rest if cell), "")
    if not schema and description in ("string", "integer", "boolean"):  # a cell the page shifted
        description, schema = "", description
    schema = schema.removeprefix("optional ").strip()
    parameter: dict[str, Any] = {"in": "formData" if place == "formdata" else place, "name": name,
                                 "required": flag == "required", "schema": schema}
    if description:
        parameter["description"] = description
    if default is not None:
        parameter["default"] = default.strip('"')
    return parameter


class Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.section = ""
        self.paths: list[dict[str, Any]] = []
        self.definitions: dict[str, dict[str, Any]] = {}

    def run(self) -> None:
        mode, current, table, with_description = "", None, None, False
        previous = ""
        n = 0
        while n < len(self.lines):
            line = self.lines[n].rstrip("\n")
            text = line.strip()
            n += 1
            if text in SECTIONS and mode != "description":
                self.section = SECTIONS[text]
                mode, current, table = "", None, None
            elif text in ("About us", "Legal notices", "Trademarks") or re.fullmatch(r"KACE SMA .* Examples", text):
                mode, current, table = "", None, None
            elif text == "Paths":
                mode = "paths"
            elif text == "Definitions":
                mode, current, table = "definitions", None, None
                self.definitions.setdefault(self.section, {})
            elif mode in ("paths", "description", "parameters", "responses", "inline") and OPERATION.match(text):
                method, path = OPERATION.match(text).groups()  # type: ignore[union-attr]
                following = self.lines[n].strip() if n < len(self.lines) else ""
                if following not in BLOCK_WORDS and re.fullmatch(r"[\w{}/.-]+", following):  # wrapped
                    path += following
                    n += 1
                current = {"section": self.section, "method": method, "path": "/" + path.lstrip("/"),
                           "description": "", "parameters": [], "responses": {}, "inline": {}}
                self.paths.append(current)
                mode, table = "operation", None
            elif current is not None and mode != "definitions" and text == "Description":
                mode = "description"
            elif current is not None and mode != "definitions" and text == "Parameters":
                mode = "parameters"
            elif current is not None and mode != "definitions" and text == "Responses":
                mode = "responses"
            elif mode == "description" and current is not None:
                if text and not text.startswith(("Type\t", "HTTP Code")):
                    current["description"] = (current["description"] + " " + text).strip()
            elif mode == "parameters" and current is not None and text.startswith("Type\t"):
                with_description = "Description" in text
            elif mode == "parameters" and current is not None and PARAMETER.match(line):
                current["parameters"].append(_parameter(line, with_description))
            elif mode == "responses" and current is not None and RESPONSE.match(text):
                code, schema = RESPONSE.match(text).groups()  # type: ignore[union-attr]
                schema = schema.split("\t")[-1].strip()
                current["responses"][code] = CORRECTIONS.get(schema, schema)
            elif current is not None and mode in ("parameters", "responses", "inline") and text.startswith("Name"):
                # A field table of an inline schema named on the line before ("assetData", "Response 200").
                cells = [cell.strip() for cell in previous.split("\t") if cell.strip()]
                named = len(cells) == 1 and cells[0] not in BLOCK_WORDS and not PARAMETER.match(previous)
                name = cells[0] if named else (table or "")
                table = name
                with_description = "Description" in text
                current["inline"].setdefault(name, [])
                mode = "inline"
            elif mode == "inline" and current is not None and table and "\t" in line and text:
                if text.startswith(("Type\t", "HTTP Code")):
                    pass
                elif PARAMETER.match(line):
                    current["parameters"].append(_parameter(line, with_description))
                else:
                    current["inline"][table].append(_field(line, with_description))
            elif mode == "definitions":
                table = self._definition_line(line, text, previous, table)
            if text:
                previous = line
        for path in self.paths:
            if not path["inline"]:
                del path["inline"]

    def _definition_line(self, line: str, text: str, previous: str, table: str | None) -> str | None:
        definitions = self.definitions[self.section]
        if text.startswith("Name\t"):
            self._with_description = "Description" in text
            name = previous.strip()
            if name and "\t" not in previous and not name.startswith("Name"):
                table = name
            if table is not None:
                definitions.setdefault(table, {"fields": []})
            return table
        if table is not None and "\t" in line and text:
            definitions[table]["fields"].append(_field(line, getattr(self, "_with_description", False)))
        elif text and "\t" not in line and text not in BLOCK_WORDS and re.fullmatch(r"[A-Za-z_][\w.]*", text):
            # A definition without fields still names a type.
            definitions.setdefault(text, {"fields": []})
        return table


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as source:
        lines = source.readlines()
    reader = Reader(lines)
    reader.run()
    document = {
        "source": "Quest, KACE Systems Management Appliance 10.2 API Reference Guide: the Paths and Definitions "
                  "of each API section, extracted by scripts/kace_reference.py",
        "paths": reader.paths,
        "definitions": reader.definitions,
    }
    json.dump(document, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
