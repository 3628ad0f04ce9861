"""Compile protos/ into the `md` package at build time: generated code is built, never committed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class ProtoBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        import grpc_tools
        from grpc_tools import protoc

        root = Path(self.root)
        proto_root = root.parent / "protos"
        if not proto_root.is_dir():
            raise RuntimeError(f"protos/ not found beside pipeline-core ({proto_root})")
        out = root / "src"
        files = sorted(str(p.relative_to(proto_root)) for p in proto_root.rglob("*.proto"))
        include = Path(grpc_tools.__file__).parent / "_proto"
        args = [
            "protoc",
            f"-I{proto_root}",
            f"-I{include}",
            f"--python_out={out}",
            f"--pyi_out={out}",
            f"--grpc_python_out={out}",
            *files,
        ]
        if protoc.main(args) != 0:
            raise RuntimeError(f"protoc failed on {files}")
        for directory in (out / "md").rglob("*"):
            if directory.is_dir():
                (directory / "__init__.py").touch()
        (out / "md" / "__init__.py").touch()
