"""An interactive 2-D latent-space explorer, with a static fallback.

In JupyterLab two sliders move a point over the latent scatter and show the image
it decodes to. Where widgets cannot render (HTML solutions, autograding, quick
mode) the same picture is drawn once for a few fixed points.
"""

import matplotlib.pyplot as plt
import numpy as np

from aecourse.plots import LABEL_COLOURS, plot_latent_scatter
from aecourse.runtime import widgets_available

STATIC_POINTS = np.array([[-1.5, -1.5], [-1.5, 1.5], [0.0, 0.0], [1.5, -1.5], [1.5, 1.5]],
                         np.float32)


def _draw(points, labels, decoded, chosen, image_shape, extent, style):
    fig, (left, *rights) = plt.subplots(1, 1 + len(chosen), figsize=(6 + 1.6 * len(chosen), 4),
                                        gridspec_kw={"width_ratios": [3] + [1] * len(chosen)})
    plot_latent_scatter(points, labels, axis=left, title=style["title"], class_names=style["class_names"],
                        axis_names=style["axis_names"])
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
        if style["label_map"]:
            axis.imshow(np.asarray(image).reshape(image_shape), cmap=LABEL_COLOURS, vmin=0, vmax=3,
                        interpolation="nearest")
        else:
            axis.imshow(np.asarray(image).reshape(image_shape), cmap="gray", vmin=0, vmax=1)
        axis.set_title(f"{index + 1}: ({z[0]:.1f}, {z[1]:.1f})", fontsize=9)
        axis.axis("off")
    fig.tight_layout()
    plt.show()


def latent_explorer(decode, points, labels, image_shape=(28, 28), extent=4.0, *, label_map=False,
                    class_names=None, axis_names=("z1", "z2"), title="Latent space (means)",
                    static_points=STATIC_POINTS):
    """Explore a 2-D latent space (or a 2-D projection of one): ``decode`` maps (n, 2) points to
    images, grey levels in [0, 1] or, with ``label_map=True``, cardiac label maps (0..3).

    Returns the widget (sliders named ``axis_names`` and the figure) in a live kernel, else draws
    the static panel for ``static_points`` and returns None.
    """
    style = dict(label_map=label_map, class_names=class_names, title=title,
                 axis_names=[f"${name[0]}_{name[1:]}$" if name[1:].isdigit() else name for name in axis_names])
    if not widgets_available():
        chosen = np.asarray(static_points, np.float32)
        _draw(points, labels, decode(chosen), chosen, image_shape, extent, style)
        return None
    import ipywidgets as widgets

    def show(first, second):
        z = np.array([[first, second]], np.float32)
        _draw(points, labels, decode(z), z, image_shape, extent, style)

    slider = dict(min=-extent, max=extent, step=round(extent / 40, 2) or 0.01, value=0.0,
                  continuous_update=False)
    # Returned, not displayed: as the cell's result, Jupyter shows it once.
    return widgets.interactive(show, first=widgets.FloatSlider(description=axis_names[0], **slider),
                               second=widgets.FloatSlider(description=axis_names[1], **slider))
