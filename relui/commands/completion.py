"""``relui completion bash|zsh|fish``: a shell completion script generated from the parser.

shtab writes the script from the same argparse parser the CLI runs, so a new
command or flag completes without anyone editing a script. It needs no config
and no state dir: a fresh install can set completion up before ``relui init``.
"""

from __future__ import annotations

import argparse

from relui.commands.base import EXIT_OK, Subparsers, add_command

SHELLS = ("bash", "zsh", "fish")
# Options whose value is a path: "file" or "directory", in shtab's words.
_PATH_OPTIONS = {"--config": "FILE", "--state-dir": "DIRECTORY", "--state-dir-out": "DIRECTORY"}


def register(sub: Subparsers) -> None:
    """Add the ``completion`` subcommand."""
    p = add_command(sub, "completion", "print a shell completion script (bash, zsh or fish)")
    p.add_argument("shell", choices=SHELLS, help="the shell to complete for")
    p.epilog = (
        "install: relui completion bash > ~/.local/share/bash-completion/completions/relui; "
        "relui completion zsh > ~/.zfunc/_relui (with fpath+=~/.zfunc); "
        "relui completion fish > ~/.config/fish/completions/relui.fish"
    )
    p.set_defaults(run=run, needs_context=False)


def run(args: argparse.Namespace, ctx: object) -> int:
    """Print the script for the chosen shell."""
    print(script(args.shell), end="")
    return EXIT_OK


def script(shell: str) -> str:
    """The completion script for ``shell``, from the full parser."""
    import shtab

    # Imported here: relui.cli imports this module through relui.commands.
    from relui.cli import build_parser

    parser = build_parser()
    _mark_paths(parser, {"FILE": shtab.FILE, "DIRECTORY": shtab.DIRECTORY})
    text: str = shtab.complete(parser, shell=shell)
    return text


def _mark_paths(parser: argparse.ArgumentParser, kinds: dict[str, object]) -> None:
    """Let the shell offer files after --config and directories after --state-dir."""
    for action in parser._actions:
        for option in action.option_strings:
            if option in _PATH_OPTIONS:
                action.complete = kinds[_PATH_OPTIONS[option]]  # type: ignore[attr-defined]
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _mark_paths(child, kinds)
