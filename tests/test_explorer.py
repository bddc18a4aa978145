"""The latent-space explorer: sliders in a live kernel, a static figure where widgets cannot run."""

import matplotlib
import numpy as np

matplotlib.use("agg")

from aecourse import explorer  # noqa: E402


def fake_decoder(calls):
    def decode(z):
        z = np.asarray(z)
        calls.append(z.copy())
        return np.full((len(z), 28 * 28), 0.5, np.float32)
    return decode


POINTS = np.random.default_rng(0).standard_normal((50, 2)).astype(np.float32)
LABELS = np.arange(50) % 10


def test_static_fallback_decodes_the_fixed_points(monkeypatch):
    monkeypatch.setattr(explorer, "widgets_available", lambda: False)
    calls = []
    assert explorer.latent_explorer(fake_decoder(calls), POINTS, LABELS) is None
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0], explorer.STATIC_POINTS)


def test_sliders_decode_the_point_they_select(monkeypatch):
    monkeypatch.setattr(explorer, "widgets_available", lambda: True)
    calls = []
    panel = explorer.latent_explorer(fake_decoder(calls), POINTS, LABELS, extent=3.0)
    sliders = [child for child in panel.children if hasattr(child, "min")]
    assert [s.description for s in sliders] == ["z1", "z2"]
    assert all(s.min == -3.0 and s.max == 3.0 for s in sliders)
    sliders[0].value, sliders[1].value = 1.5, -0.5  # as a student dragging them
    np.testing.assert_allclose(calls[-1], [[1.5, -0.5]])
