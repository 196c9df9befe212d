"""labs.grading.tamper: the static review flags tricks, not ordinary model code."""

from labs.grading import tamper


def test_method_named_eval_is_not_the_builtin():
    findings = tamper.review_source("model.eval()\nnet.train().eval()\n", {"torch"}, 1)
    assert findings == []
    flagged = [f.what for f in tamper.review_source('x = eval("1")\nimport builtins\nbuiltins.exec("y")\n', {"torch"}, 2)]
    assert "calls eval()" in flagged and "calls exec()" in flagged


def test_only_module_level_names_of_the_setup_are_protected():
    setup = "import torch\nSEED, DEVICE = 0, 'cpu'\nclass MLP:\n    def __init__(self):\n        self.net = 1\n        widths = 2\n"
    assert tamper.protected_names(setup) == {"torch", "SEED", "DEVICE"}
    assert tamper.review_source("class R:\n    def __init__(self):\n        self.losses = []\nwidths = [1, 2]\n",
                                tamper.protected_names(setup), 3) == []
    assert [f.what for f in tamper.review_source("SEED = 1\n", tamper.protected_names(setup), 4)] == ["rebinds SEED, which the tests use"]


def test_reproducibility_switches_are_not_flagged_but_other_assignments_into_torch_are():
    seeding = ("import os\nimport torch\n"
               "os.environ['CUBLAS_WORKSPACE_CONFIG'] = ':4096:8'\n"
               'os.environ["PYTHONHASHSEED"] = "0"\n'
               "torch.backends.cudnn.benchmark = False\ntorch.backends.cudnn.deterministic = True\n")
    assert tamper.review_source(seeding, {"torch", "os"}, 1) == []
    tricks = "torch.allclose = lambda *a, **k: True\nos.environ['LABS_SEED'] = '3'\ntorch.backends.cudnn.benchmark, torch.equal = False, max\n"
    flagged = [f.what for f in tamper.review_source(tricks, {"torch", "os"}, 2)]
    assert "assigns into torch.allclose" in flagged and "assigns into os.environ['LABS_SEED']" in flagged
    assert "assigns into torch.equal" in flagged  # a permitted switch does not excuse what is assigned beside it


def test_a_student_cell_dressed_as_a_locked_or_test_cell_is_still_reviewed():
    from nbformat.v4 import new_code_cell, new_notebook

    def meta(gid, **flags):
        return {"nbgrader": {"grade_id": gid, "locked": True, "solution": False, "grade": False, **flags}}

    released = new_notebook(cells=[
        new_code_cell("import torch\nSEED = 0", metadata=meta("lab99-setup")),
        new_code_cell("# YOUR CODE HERE", metadata={"nbgrader": {"grade_id": "lab99-answer", "solution": True,
                                                                 "locked": False, "grade": False}}),
        new_code_cell("assert answer() == 1", metadata=meta("lab99-tests", grade=True, points=1)),
    ])
    trick = "torch.allclose = lambda *a, **k: True"
    submitted = new_notebook(cells=[
        new_code_cell("import torch\nSEED = 0", metadata=meta("lab99-setup")),
        new_code_cell(trick, metadata=meta("made-up-locked-id")),  # locked by the student's own metadata
        new_code_cell(trick, metadata=meta("fake-tests", grade=True, points=1)),  # a "test cell" the release lacks
        new_code_cell("assert answer() == 1", metadata=meta("lab99-tests", grade=True, points=1)),
    ])
    flagged = tamper.review_notebook(submitted, released)
    assert sorted({f.cell for f in flagged}) == [1, 2], flagged
    # Read from the submission's metadata alone, both tricks would have been skipped (the hole this closes).
    assert tamper.review_notebook(submitted) == []


def test_code_objects_hooks_payloads_and_lying_values_are_flagged():
    tricks = {
        "object.__setattr__(assert_close, '__code__', (lambda *a, **k: None).__code__)": "reaches __code__",
        "display.__globals__['get_ipython']().input_transformers_post.append(lambda lines: lines)": "reaches __globals__",
        "import pickle\npayload = pickle.loads(blob)": "imports pickle",
        "state = torch.load('w.pt', weights_only=False)": "loads a pickle with code in it (weights_only not True)",
        "class Liar(torch.Tensor):\n    pass": "subclasses torch.Tensor (its arithmetic or comparisons can lie to the tests)",
        "class Always(float):\n    pass": "subclasses float (its arithmetic or comparisons can lie to the tests)",
        "class Hook:\n    def __torch_function__(self, *a, **k):\n        return True": "defines __torch_function__ (an object can answer for the library)",
        "answer.__class__ = Hook": "changes an object's __class__",
        "history = In[-2]": "uses In",
    }
    for source, what in tricks.items():
        assert what in [f.what for f in tamper.review_source(source, {"torch", "assert_close"}, 1)], source


def test_ordinary_model_code_is_not_flagged():
    honest = (
        "import torch\nfrom torch import nn\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 1)\n"
        "    def __repr__(self):\n        return self.__class__.__name__\n"
        "class Square(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n        return x * x\n"
        "weights = torch.load('w.pt', map_location='cpu', weights_only=True)\n"
    )
    assert tamper.review_source(honest, {"torch"}, 1) == []
