"""Where the chat service keeps its files, and how it reads its configuration."""

import json
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"


def read_file(name: str) -> str:
    with open(DATA_DIR / name) as handle:
        return handle.read()


def load_config() -> dict:
    return json.loads(read_file("config.json"))


class Paths:
    def __init__(self, root: Path):
        self.root = root

    @property
    def archive(self) -> Path:
        return self.root / "archive"
