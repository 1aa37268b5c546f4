from __future__ import annotations


class FileProblem(Exception):
    """The file as a whole cannot be imported (encoding, damaged Excel, missing columns)."""

    def __init__(self, code: str, message: str, column: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.column = column
