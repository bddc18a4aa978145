"""What the shared figures promise a reader: units, epochs from 1, a first epoch off the scale said
so, and titles that clear the row above."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from aecourse import plots  # noqa: E402


def test_loss_curves_keep_the_scale_for_training_and_say_the_first_epoch():
    plt.close("all")
    plots.plot_history({"loss": [900.0, 50.0, 40.0, 30.0], "val_loss": [300.0, 55.0, 45.0, 35.0]},
                       unit="nats per image")
    axis = plt.gcf().axes[0]
    assert axis.get_ylabel() == "nats per image"
    assert axis.get_ylim()[1] < 100, "the first epoch would squash the rest"
    assert any("epoch 1: 900 (off the scale)" in text.get_text() for text in axis.texts)
    assert list(axis.lines[0].get_xdata()) == [1, 2, 3, 4]


def test_an_ordinary_first_epoch_stays_on_the_scale():
    plt.close("all")
    plots.plot_history({"kl": [14.0, 10.0, 12.0]})
    axis = plt.gcf().axes[0]
    assert axis.get_ylim()[1] >= 14 and not axis.texts


def test_long_titles_get_room_above_their_row():
    heights = []
    for titles in (["a"] * 4, ["a long title that wraps onto three lines"] * 4):
        plt.close("all")
        plots.show_images(np.zeros((4, 5, 5)), titles=titles, columns=2)
        heights.append(plt.gcf().get_size_inches()[1])
    assert heights[1] > heights[0]
