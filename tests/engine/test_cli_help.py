"""`trm --help` and every subcommand's help are complete: each command and each option says what it does."""

import argparse

from trm_engine.cli import build_parser


def walk(parser: argparse.ArgumentParser, path: str = "trm"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from walk(sub, f"{path} {name}")


def test_every_command_and_option_has_help():
    missing = []
    for path, parser in walk(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if isinstance(action, argparse._SubParsersAction):
                missing += [f"{path} {c.dest}" for c in action._choices_actions if not c.help]
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_help_texts_render():
    for _, parser in walk(build_parser()):
        parser.format_help()  # must not raise (e.g. a % in a help text)
