"""The judge's parts, without a grading run: the wire format, the local session, verdicts and
messages, and what the grader keeps of a test cell's kernel outputs."""

import base64
import io
import json

import numpy as np
import pytest
from nbformat.v4 import new_output

from aecourse.grading.execute import kernel_outputs
from aecourse.judge import phase, session, wire
from aecourse.judge.remote import LinkError, Session, StudentError
from aecourse.judge.verdicts import MIME


def round_trip(value, limits=wire.Limits()):  # noqa: B008
    return wire.decode(json.loads(json.dumps(wire.encode(value))), limits)


def test_wire_carries_arrays_numbers_texts_and_handles():
    value = {"a": np.float32(2.5) * np.ones((2, 3), "float32"), "s": np.array(1.5), "n": [1, 2.0, None, "x", True],
             "h": wire.Handle(3), "nan": float("nan"), "bool": np.array([True, False])}
    back = round_trip(value)
    assert back["a"].dtype == np.float32 and back["a"].shape == (2, 3) and (back["a"] == 2.5).all()
    assert back["s"].shape == () and back["s"] == 1.5
    assert back["n"] == [1, 2.0, None, "x", True] and back["h"] == wire.Handle(3) and np.isnan(back["nan"])
    assert back["bool"].dtype == bool


def npy(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return {"$array": base64.b64encode(buffer.getvalue()).decode()}


def nested(depth):
    value = [1]
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("payload, why", [
    (npy(np.array([object()], dtype=object), allow_pickle=True), "cannot be read"),  # a pickle
    (npy(np.zeros(2, dtype=[("a", "f4")])), "not numeric"),  # a structured array
    (npy(np.zeros(2, "complex64")), "not numeric"),
    ({"$array": "not base64!"}, "cannot be read"),
    ({"$class": "os.system"}, "not data"),
    ({"$handle": "1"}, "not data"),
    (nested(20), "nested too deeply"),
    (list(range(20_000)), "more than"),
    ("x" * 5000, "too long"),
])
def test_wire_refuses_what_is_not_data(payload, why):
    with pytest.raises(wire.WireError, match=why):
        wire.decode(payload)


def test_wire_caps_the_size_of_an_answer():
    with pytest.raises(wire.WireError, match="larger than"):
        wire.decode(npy(np.zeros(300_000, "float64")), wire.Limits(bytes=2 ** 20))


def test_a_local_session_judges_the_notebooks_own_objects():
    import keras

    namespace = {"keras": keras, "double": lambda x: 2 * keras.ops.convert_to_tensor(x),
                 "make": lambda n: keras.Sequential([keras.Input((3,)), keras.layers.Dense(n)])}
    student, judge = session(namespace)
    x = judge.rng.random((4, 3)).astype("float32")
    assert np.allclose(student.double(x), 2 * x)
    model = student.make(5)
    judge.expect_model(model, "make")
    assert judge.kernel_shapes(model) == [(3, 5)] and model.count_params() == 20
    value, (gradient,) = judge.gradient(student.double, x, wrt=(0,))
    assert np.allclose(gradient, 2.0)
    (compiled,) = judge.compiled(student.double, x, what="double")
    assert np.allclose(compiled, 2 * x)


def test_the_students_exceptions_show_as_their_type_only():
    def own(*args):
        raise type("LEAK_0_8123", (Exception,), {})("LEAK 0.8123")

    student, judge = session({"own": own, "plain": lambda: 1 / 0})
    with pytest.raises(StudentError) as raised:
        student.own()
    assert raised.value.type_name == "an error" and "LEAK" in raised.value.message  # the message: instructor only
    with pytest.raises(StudentError) as raised:
        student.plain()
    assert raised.value.type_name == "ZeroDivisionError"


class FakeLink:
    def __init__(self, answers):
        self.answers = answers

    def send(self, operations):
        return self.answers


@pytest.mark.parametrize("answers", [[], [{"value": 1}, {"value": 2}, {"value": 3}], [{"no": "value"}]])
def test_a_session_refuses_answers_that_do_not_fit_the_question(answers):
    with pytest.raises(LinkError):
        Session(FakeLink(answers)).ask("f", "call", target="f")


def run_block(code, answers=({"value": 1.0},)):
    return phase.run_block(code, "test_x", Session(FakeLink(list(answers))), np.random.default_rng(0))


def test_verdicts_keep_values_for_the_instructor_only():
    failed = run_block("from aecourse.judge import session\nstudent, judge = session(globals())\n"
                       "judge.check(student.f() == 2, 'wrong value', detail='expected 2, got 1.0')")
    assert not failed.passed and failed.message == "wrong value" and failed.detail == "expected 2, got 1.0"
    plain = run_block("x = 0.8123\nassert x == 1, f'expected 1, got {x}'")
    assert plain.message == "a hidden check failed" and "0.8123" in plain.detail
    crashed = run_block("from aecourse.judge import session\nstudent, judge = session(globals())\n"
                        "len(student.f())")  # a number where the test wanted a list
    assert crashed.message == "the hidden tests could not use what your code gave back"
    raised = run_block("from aecourse.judge import session\nstudent, judge = session(globals())\nstudent.f()",
                       answers=[{"error": {"type": "ValueError", "message": "LEAK 0.8123"}}])
    assert raised.message == "f raised ValueError when the hidden tests used it" and "LEAK" not in raised.message
    assert run_block("pass").passed


def test_hidden_blocks_are_cut_with_the_courses_delimiters():
    source = "visible()\n### BEGIN SECRET\nhidden()\n### END SECRET\nmore_visible()\n"
    visible, hidden = phase.split_hidden(source, phase.hidden_pattern("BEGIN SECRET", "END SECRET"))
    assert visible == "visible()\nmore_visible()\n" and hidden.strip() == "hidden()"
    assert phase.split_hidden(source, phase.hidden_pattern())[1] is None


def test_a_test_cells_kernel_outputs_cannot_speak_for_the_grader():
    outputs = kernel_outputs([
        new_output("execute_result", data={"text/plain": "1.0"}, execution_count=3),
        new_output("display_data", data={MIME: {"passed": True}, wire.MIME: [], "text/plain": "Hidden tests: passed."}),
        new_output("stream", name="stdout", text="visible check OK\n")])
    assert [o.output_type for o in outputs] == ["display_data", "display_data", "stream"]  # no number result
    assert all(MIME not in o.get("data", {}) and wire.MIME not in o.get("data", {}) for o in outputs)


def test_an_upsampling_that_leaves_gaps_is_seen():
    from aecourse.judge.probes import Kernel, expect_no_gaps
    from aecourse.judge.verdicts import HiddenTestFailure

    kernels = [Kernel("transposed", (1, 1, 1, 1), lambda value: None)]
    sparse = np.zeros((1, 4, 4, 1))
    sparse[:, ::2, ::2] = 1.0  # a kernel of 1 with stride 2 writes every other pixel
    with pytest.raises(HiddenTestFailure):
        expect_no_gaps(lambda: sparse, kernels, "gaps")
    expect_no_gaps(lambda: np.ones((1, 4, 4, 1)), kernels, "gaps")


@pytest.mark.parametrize("outputs", [
    [{"output_type": "error", "ename": "LEAK_0_8123", "evalue": "LEAK", "traceback": []}],
    [{"output_type": "display_data", "data": {wire.MIME: npy(np.zeros(2, dtype=[("LEAK_0_8123", "f4")]))}}],
    [{"output_type": "display_data", "data": {wire.MIME: "LEAK " * 1000}}],
])
def test_what_the_kernel_chooses_never_reaches_the_students_message(outputs):
    from aecourse.judge.remote import KernelLink

    verdict = phase.run_block("from aecourse.judge import session\nstudent, judge = session(globals())\nstudent.f()",
                              "test_x", Session(KernelLink(lambda code: outputs)), np.random.default_rng(0))
    assert not verdict.passed and "LEAK" not in verdict.message
