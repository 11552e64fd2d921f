"""Prompts are package data (``tutor/prompts/*.j2``) rendered strictly.

User text never goes into a template unescaped-as-instructions: callers pass it as a variable and
templates wrap it with ``data_block`` so the model sees clearly delimited data.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined

_FENCE = "<<<{tag}>>>\n{body}\n<<</{tag}>>>"
# free text never contains a delimiter (data_block defuses them in bodies): a model that writes one
# has started to reproduce its prompt, so generation stops there
STOP = ["<<<"]


def data_block(body: str, tag: str = "DATA") -> str:
    """Delimit untrusted text. 'hi' -> '<<<DATA>>>\\nhi\\n<<</DATA>>>'.

    Any delimiter-looking sequence inside the body is defused so data can't close its own block.
    """
    safe = body.replace("<<<", "‹‹‹").replace(">>>", "›››")
    return _FENCE.format(tag=tag, body=safe)


@lru_cache(maxsize=4)
def _env(package: str) -> Environment:
    env = Environment(
        loader=PackageLoader(package, "prompts"),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["data"] = data_block
    return env


def render(name: str, package: str = "tutor", **variables: object) -> str:
    """Render ``<package>/prompts/<name>.j2``; a missing variable raises jinja2.UndefinedError."""
    return _env(package).get_template(f"{name}.j2").render(**variables).strip()
