"""A checker for Jenkins' declarative pipeline syntax (the subset a Jenkinsfile uses).

Jenkins' own linter needs a running Jenkins (``declarative-linter`` over its
CLI or REST API); this checks what the Pipeline Syntax reference defines:
tokens from Pygments' Groovy lexer (an unterminated string or a stray
character is an ``Error`` token), balanced brackets, then the block tree:
one ``pipeline``; its sections and directives; ``stage('name')`` blocks that
hold exactly one of ``steps``, ``stages``, ``parallel`` or ``matrix``;
``matrix`` with ``axes { axis { name; values } }`` and ``stages``; ``post``
with its known conditions. Inside ``steps`` (and ``script``) anything goes.
"""

from __future__ import annotations

import dataclasses

from pygments.lexers import GroovyLexer
from pygments.token import Comment, Error, Name, Operator, Punctuation, Text, Whitespace

PIPELINE_SECTIONS = {"agent", "options", "environment", "stages", "post", "parameters", "triggers", "tools",
                     "libraries"}
STAGE_DIRECTIVES = {"agent", "when", "environment", "options", "post", "tools", "input", "failFast"}
STAGE_BODIES = {"steps", "stages", "parallel", "matrix"}
POST_CONDITIONS = {"always", "changed", "fixed", "regression", "aborted", "failure", "success", "unstable",
                   "unsuccessful", "cleanup"}


class SyntaxProblem(Exception):
    pass


@dataclasses.dataclass
class Block:
    name: str
    args: str
    line: int
    children: list["Block"] = dataclasses.field(default_factory=list)
    statements: list[str] = dataclasses.field(default_factory=list)


def _tokens(source: str):
    line = 1
    for kind, value in GroovyLexer().get_tokens(source):
        if kind in Error:
            raise SyntaxProblem(f"line {line}: the Groovy lexer cannot read {value!r}")
        if kind not in Whitespace and kind not in Comment and not (kind in Text and not value.strip()):
            yield kind, value, line
        line += value.count("\n")


def parse(source: str) -> Block:
    """The block tree of ``source``; raises :class:`SyntaxProblem`."""
    root = Block("<file>", "", 0)
    stack = [root]
    pending: list[tuple[object, str, int]] = []
    depth_paren = 0
    for kind, value, line in _tokens(source):
        if kind in Punctuation or kind in Operator or kind in Text:
            for ch in value:
                if ch in "([":
                    depth_paren += 1
                elif ch in ")]":
                    depth_paren -= 1
                    if depth_paren < 0:
                        raise SyntaxProblem(f"line {line}: unbalanced {ch!r}")
                if ch == "{" and depth_paren == 0:
                    words = [v for k, v, _ in pending]
                    if not words:
                        raise SyntaxProblem(f"line {line}: a block without a name")
                    block = Block(words[0], "".join(words[1:]), line)
                    stack[-1].children.append(block)
                    stack.append(block)
                    pending = []
                elif ch == "}" and depth_paren == 0:
                    if pending:
                        stack[-1].statements.append(" ".join(v for _, v, _ in pending))
                        pending = []
                    if len(stack) == 1:
                        raise SyntaxProblem(f"line {line}: a '}}' closes nothing")
                    stack.pop()
                else:
                    pending.append((kind, ch, line))
            continue
        # A statement ends where the next one starts on a new line (Groovy needs no ';').
        if pending and depth_paren == 0 and line > pending[-1][2] and kind in Name \
                and pending[-1][1] not in (",", "+", "&&", "||", "\\", "=", "("):
            stack[-1].statements.append(" ".join(v for _, v, _ in pending))
            pending = []
        pending.append((kind, value, line))
    if depth_paren:
        raise SyntaxProblem("unbalanced parentheses at the end of the file")
    if len(stack) != 1:
        raise SyntaxProblem(f"block {stack[-1].name!r} (line {stack[-1].line}) is never closed")
    if pending:
        root.statements.append(" ".join(v for _, v, _ in pending))
    return root


def _check_post(post: Block) -> None:
    for condition in post.children:
        if condition.name not in POST_CONDITIONS:
            raise SyntaxProblem(f"line {condition.line}: {condition.name!r} is not a post condition")


def _check_stage(stage: Block) -> None:
    if stage.name != "stage" or not stage.args.startswith("(") or not stage.args.endswith(")"):
        raise SyntaxProblem(f"line {stage.line}: stages holds stage('name') {{ ... }} blocks, not {stage.name!r}")
    bodies = [c for c in stage.children if c.name in STAGE_BODIES]
    if len(bodies) != 1:
        raise SyntaxProblem(f"line {stage.line}: stage{stage.args} needs exactly one of steps, stages, parallel "
                            f"or matrix (has {[b.name for b in bodies]})")
    for child in stage.children:
        if child.name not in STAGE_BODIES | STAGE_DIRECTIVES:
            raise SyntaxProblem(f"line {child.line}: {child.name!r} is not a stage directive")
        if child.name == "post":
            _check_post(child)
    body = bodies[0]
    if body.name in ("stages", "parallel"):
        _check_stages(body)
    elif body.name == "matrix":
        axes = [c for c in body.children if c.name == "axes"]
        if len(axes) != 1 or not axes[0].children or any(a.name != "axis" for a in axes[0].children):
            raise SyntaxProblem(f"line {body.line}: matrix needs axes {{ axis {{ ... }} }}")
        for axis in axes[0].children:
            keys = {s.split()[0] for s in axis.statements}
            if keys != {"name", "values"}:
                raise SyntaxProblem(f"line {axis.line}: an axis has a name and values, not {sorted(keys)}")
        inner = [c for c in body.children if c.name == "stages"]
        if len(inner) != 1:
            raise SyntaxProblem(f"line {body.line}: matrix needs its stages")
        _check_stages(inner[0])


def _check_stages(stages: Block) -> None:
    if not stages.children:
        raise SyntaxProblem(f"line {stages.line}: {stages.name} holds no stage")
    for stage in stages.children:
        _check_stage(stage)


def check(source: str) -> Block:
    """Parse ``source`` and check it as a declarative pipeline; returns the ``pipeline`` block."""
    root = parse(source)
    pipelines = [c for c in root.children if c.name == "pipeline"]
    if len(pipelines) != 1 or len(root.children) != 1 or root.statements:
        raise SyntaxProblem("a declarative Jenkinsfile is one pipeline { ... } block")
    pipeline = pipelines[0]
    names = [c.name for c in pipeline.children]
    for child in pipeline.children:
        if child.name not in PIPELINE_SECTIONS:
            raise SyntaxProblem(f"line {child.line}: {child.name!r} is not a pipeline section or directive")
    if "stages" not in names or not ("agent" in names or any(s.startswith("agent") for s in pipeline.statements)):
        raise SyntaxProblem("pipeline needs agent and stages")
    for child in pipeline.children:
        if child.name == "stages":
            _check_stages(child)
        elif child.name == "post":
            _check_post(child)
    return pipeline


def walk(block: Block):
    yield block
    for child in block.children:
        yield from walk(child)
