"""Static review of student code for attempts to fool the tests.

Student code shares the kernel with the tests, so it can monkeypatch what the tests use
(``torch.allclose``, ``numpy.testing``, the ``labs.checks`` helpers, ``__eq__``, IPython's
``showtraceback``). The sandbox cannot prevent that; this module finds it in the cells a student
wrote, so the grading report flags the submission for a person to review. It reports, it does
not punish: a flagged submission keeps its score until someone looks.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from nbformat import NotebookNode

from labs.course import cells

SUSPICIOUS_CALLS = {
    "setattr", "delattr", "exec", "eval", "compile", "__import__", "globals", "vars", "get_ipython", "breakpoint",
}
SUSPICIOUS_NAMES = {
    "__builtins__", "builtins", "sys", "ctypes", "gc", "inspect", "importlib", "IPython", "ipykernel", "atexit", "signal",
    # code arriving as data (a pickled or marshalled payload), and IPython's own history and namespace objects
    "pickle", "marshal", "dill", "copyreg", "In", "Out", "_ih", "_oh", "_dh", "_ii", "_iii",
}
# Attributes that reach or replace what code is (a function's code object and globals, a class's bases and methods,
# the interpreter's machinery): ordinary model and training code never touches them.
INTERNAL_ATTRIBUTES = {
    "__code__", "__globals__", "__dict__", "__setattr__", "__delattr__", "__getattribute__", "__subclasses__",
    "__bases__", "__mro__", "__builtins__", "__closure__", "__defaults__", "__kwdefaults__", "__import__", "__loader__",
    "__spec__", "__reduce__", "__reduce_ex__", "__setstate__", "__torch_function__", "__torch_dispatch__",
    "__array_ufunc__", "__array_function__", "f_globals", "f_locals", "f_back", "tb_frame", "gi_frame", "cr_frame",
}
# Methods that let an object answer for the library (every torch or numpy operation on it, isinstance checks).
HOOK_METHODS = {
    "__torch_function__", "__torch_dispatch__", "__array_ufunc__", "__array_function__", "__instancecheck__",
    "__subclasscheck__", "__getattribute__", "__reduce__", "__reduce_ex__", "__setstate__",
}
# Base classes whose subclasses can stand in for a number or a tensor in a test's arithmetic and comparisons.
VALUE_BASES = {"Tensor", "ndarray", "Parameter", "float", "int", "bool", "complex"}
COMPARISON_DUNDERS = {"__eq__", "__ne__", "__bool__", "__lt__", "__le__", "__gt__", "__ge__", "__float__", "__array__"}
# Assignments into library modules that experiment code makes for reproducibility (lab 11's seed_everything) and that
# cannot change what a test sees: the cuDNN and TF32 switches, and the environment variables read at start-up.
REPRODUCIBILITY_SETTINGS = {
    "torch.backends.cudnn.benchmark", "torch.backends.cudnn.deterministic", "torch.backends.cudnn.allow_tf32",
    "torch.backends.cuda.matmul.allow_tf32", "os.environ['CUBLAS_WORKSPACE_CONFIG']", "os.environ['PYTHONHASHSEED']",
}


@dataclass(frozen=True)
class Finding:
    cell: int
    line: int
    what: str

    def __str__(self) -> str:
        return f"cell {self.cell} line {self.line}: {self.what}"


def protected_names(setup_source: str) -> set[str]:
    """Names the locked setup cell binds (modules and test helpers): rebinding them fools tests."""
    names = set()
    try:
        tree = ast.parse(setup_source)
    except SyntaxError:
        return names
    for node in tree.body:  # module level only: names inside a helper's body (``self``, locals) are not globals
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def review_source(source: str, protected: set[str], cell: int) -> list[Finding]:
    """Findings in one cell of student code."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # a syntax error fails the tests by itself
    modules = set(protected)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    findings = []

    def add(node, what):
        findings.append(Finding(cell, getattr(node, "lineno", 0), what))

    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            if ast.unparse(target) in REPRODUCIBILITY_SETTINGS:
                continue
            for part in ast.walk(target):
                if isinstance(part, (ast.Attribute, ast.Subscript)) and _root_name(part) in modules:
                    add(node, f"assigns into {ast.unparse(part)}")
                elif isinstance(part, ast.Name) and part.id in protected:
                    add(node, f"rebinds {part.id}, which the tests use")
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            if node.name in protected:
                add(node, f"redefines {node.name}, which the tests use")
            if isinstance(node, ast.FunctionDef) and node.name in COMPARISON_DUNDERS:
                add(node, f"defines {node.name} (comparisons can be made to always succeed)")
            if isinstance(node, ast.FunctionDef) and node.name in HOOK_METHODS:
                add(node, f"defines {node.name} (an object can answer for the library)")
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else ""
                if name in VALUE_BASES:
                    add(node, f"subclasses {ast.unparse(base)} (its arithmetic or comparisons can lie to the tests)")
        if isinstance(node, ast.Attribute) and node.attr in INTERNAL_ATTRIBUTES:
            add(node, f"reaches {node.attr}")
        if isinstance(node, ast.Attribute) and node.attr == "__class__" and isinstance(node.ctx, ast.Store):
            add(node, "changes an object's __class__")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load"
                and any(k.arg == "weights_only" and not (isinstance(k.value, ast.Constant) and k.value.value is True)
                        for k in node.keywords)):
            add(node, "loads a pickle with code in it (weights_only not True)")
        if isinstance(node, ast.Call):
            # eval() the builtin, or builtins.eval(); not a method such as model.eval()
            if isinstance(node.func, ast.Name):
                name = node.func.id
            elif isinstance(node.func, ast.Attribute) and _root_name(node.func) in SUSPICIOUS_NAMES:
                name = node.func.attr
            else:
                name = None
            if name in SUSPICIOUS_CALLS:
                add(node, f"calls {name}()")
        if isinstance(node, ast.Name) and node.id in SUSPICIOUS_NAMES:
            add(node, f"uses {node.id}")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name.split(".")[0] in SUSPICIOUS_NAMES or (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in SUSPICIOUS_NAMES):
                    add(node, f"imports {alias.name if isinstance(node, ast.Import) else node.module}")
    unique = {(f.line, f.what): f for f in findings}
    return sorted(unique.values(), key=lambda f: (f.line, f.what))


def review_notebook(nb: NotebookNode, released: NotebookNode | None = None) -> list[Finding]:
    """Findings in every cell the student wrote (answer cells and cells they added).

    Which cells are the course's own (skipped: nbgrader puts their released source back before grading) is decided
    from ``released``, the lab's release notebook, never from the submission's metadata, which the student can edit:
    a cell is skipped only if it carries the grade id of a locked or test cell of the release (the first cell with
    that id; staging has already stripped the metadata of later copies). The protected names come from the release's
    setup cell too. Without ``released``, the submission's own metadata decides (for a notebook with no release).
    """
    reference = released if released is not None else nb
    course_cells = {cells.grade_id(c) for c in reference.cells
                    if c.cell_type == "code" and cells.is_locked(c) and cells.grade_id(c)}
    setup = next((c.source for c in reference.cells if c.cell_type == "code" and cells.is_locked(c)), "")
    protected = protected_names(setup)
    findings, seen = [], set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        gid = cells.grade_id(cell)
        if gid in course_cells and gid not in seen and cells.is_locked(cell):
            seen.add(gid)
            continue
        findings += review_source(cell.source, protected, index)
    return findings
