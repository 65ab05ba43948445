"""``.. cli-options:: module:function``: a command's usage and options, read from its
argparse parser (``function()`` returns the ``ArgumentParser``), so the page cannot
disagree with ``--help``.  No dependency beyond Sphinx.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any, Dict, List

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def load_parser(spec: str) -> argparse.ArgumentParser:
    """``'package.module:function'`` -> the parser that function builds."""
    module_name, _, function = spec.partition(":")
    parser = getattr(importlib.import_module(module_name), function)()
    if not isinstance(parser, argparse.ArgumentParser):
        raise TypeError(f"{spec} did not return an ArgumentParser")
    return parser


def invocation(action: argparse.Action) -> str:
    """How the option is written: ``--server HOST[:PORT]``, ``-x ADDRESS``, ``NAME``."""
    if not action.option_strings:
        return str(action.metavar or action.dest)
    if action.nargs == 0:
        return ", ".join(action.option_strings)
    if action.metavar is not None:
        value = str(action.metavar)
    elif action.choices is not None:
        value = "{" + ",".join(str(c) for c in action.choices) + "}"
    else:
        value = action.dest.upper()
    return ", ".join(f"{flag} {value}" for flag in action.option_strings)


def described(action: argparse.Action) -> str:
    """The help text, with the choices when the metavar hides them."""
    text = (action.help or "").strip()
    if action.choices is not None and action.metavar is not None:
        text += " (one of: " + ", ".join(str(c) for c in action.choices) + ")"
    if isinstance(action, argparse._AppendAction):
        text += " [repeatable]" if "repeatable" not in text else ""
    return text


def _option_row(action: argparse.Action) -> nodes.definition_list_item:
    item = nodes.definition_list_item()
    term = nodes.term()
    term += nodes.literal(text=invocation(action))
    item += term
    definition = nodes.definition()
    definition += nodes.paragraph(text=described(action))
    item += definition
    return item


class CliOptions(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self) -> List[nodes.Node]:
        parser = load_parser(self.arguments[0])
        usage = parser.format_usage().strip()
        block = nodes.literal_block(usage, usage)
        block["language"] = "text"
        result: List[nodes.Node] = [block]
        if parser.description:
            result.append(nodes.paragraph(text=parser.description))
        groups: Dict[str, List[argparse.Action]] = {"positional": [], "option": []}
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            groups["option" if action.option_strings else "positional"].append(action)
        for title, key in (("Arguments", "positional"), ("Options", "option")):
            rubric = nodes.rubric(text=title)
            listing = nodes.definition_list()
            for action in groups[key]:
                listing += _option_row(action)
            result += [rubric, listing]
        help_flags = ", ".join(
            flag for action in parser._actions if isinstance(action, argparse._HelpAction)
            for flag in action.option_strings
        )  # fmt: skip
        if help_flags:
            result.append(nodes.paragraph(text=f"{help_flags}: print this help and exit."))
        if parser.epilog:
            result.append(nodes.paragraph(text=parser.epilog))
        return result


def setup(app: Sphinx) -> Dict[str, Any]:
    app.add_directive("cli-options", CliOptions)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
