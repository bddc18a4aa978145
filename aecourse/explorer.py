"""An interactive 2-D latent-space explorer, with a static fallback.

In JupyterLab two sliders move a point over the latent scatter and show the image
it decodes to. Where widgets cannot render (HTML solutions, autograding, quick
mode) the same picture is drawn once for a few fixed points.
"""

import matplotlib.pyplot as plt
import numpy as np

from aecourse.plots import plot_latent_scatter
from aecourse.runtime import widgets_available

STATIC_POINTS = np.array([[-1.5, -1.5], [-1.5, 1.5], [0.0, 0.0], [1.5, -1.5], [1.5, 1.5]],
                         np.float32)


def _draw(points, labels, decoded, chosen, image_shape, extent):
    fig, (left, *rights) = plt.subplots(1, 1 + len(chosen), figsize=(6 + 1.6 * len(chosen), 4),
                                        gridspec_kw={"width_ratios": [3] + [1] * len(chosen)})
    plot_latent_scatter(points, labels, axis=left, title="Latent space (means)")
    # The legend beside the plot, where it hides no point; a margin, so a cross at the
    # sliders' ends shows whole (and clip_on=False, in case).
    left.legend(markerscale=3, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    margin = 0.06 * extent
    left.set_xlim(-extent - margin, extent + margin)
    left.set_ylim(-extent - margin, extent + margin)
    for index, (axis, z, image) in enumerate(zip(rights, chosen, decoded)):
        left.scatter(*z, marker="X", s=120, color="black", edgecolor="white", clip_on=False, zorder=3)
        if len(chosen) > 1:  # numbered to match the panels on the right
            left.annotate(str(index + 1), z, xytext=(5, 5), textcoords="offset points", annotation_clip=False)
        axis.imshow(np.asarray(image).reshape(image_shape), cmap="gray", vmin=0, vmax=1)
        axis.set_title(f"{index + 1}: ({z[0]:.1f}, {z[1]:.1f})", fontsize=9)
        axis.axis("off")
    fig.tight_layout()
    plt.show()


def latent_explorer(decode, points, labels, image_shape=(28, 28), extent=4.0):
    """Explore a 2-D latent space: ``decode`` maps (n, 2) latent points to images.

    Returns the widget (sliders and figure) in a live kernel, else draws the static panel
    and returns None.
    """
    if not widgets_available():
        _draw(points, labels, decode(STATIC_POINTS), STATIC_POINTS, image_shape, extent)
        return None
    import ipywidgets as widgets

    def show(z1, z2):
        z = np.array([[z1, z2]], np.float32)
        _draw(points, labels, decode(z), z, image_shape, extent)

    slider = dict(min=-extent, max=extent, step=0.1, value=0.0, continuous_update=False)
    # Returned, not displayed: as the cell's result, Jupyter shows it once.
    return widgets.interactive(show, z1=widgets.FloatSlider(description="z1", **slider),
                               z2=widgets.FloatSlider(description="z2", **slider))
