"""Figures the notebooks share: image grids, reconstructions, latent spaces, curves."""

import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

#: Colours of the cardiac label maps: background, RV, myocardium, LV.
LABEL_COLOURS = ListedColormap(["black", "tab:blue", "tab:orange", "tab:red"])
#: Names of the cardiac structures, in label order (1, 2, 3), as in the figures' keys.
STRUCTURE_NAMES = ("RV", "myocardium", "LV")


def _imshow(axis, image, label_map=False):
    if label_map:
        axis.imshow(image, cmap=LABEL_COLOURS, vmin=0, vmax=3, interpolation="nearest")
    else:
        axis.imshow(image, cmap="gray", vmin=0, vmax=1)
    axis.set_xticks([])
    axis.set_yticks([])


def show_images(images, titles=None, label_map=False, columns=10, size=1.3, suptitle=None):
    """A grid of images (MNIST digits, or cardiac label maps with ``label_map=True``)."""
    images = np.asarray(images)
    rows = int(np.ceil(len(images) / columns))
    columns = min(columns, len(images))
    titles = None if titles is None else [textwrap.fill(str(title), 16) for title in titles]
    title_lines = max((title.count("\n") + 1 for title in titles), default=0) if titles else 0
    title_space = 0.15 * title_lines + 0.1 * bool(titles)  # per row, so that titles clear the row above
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, (size + title_space) * rows + 0.3),
                             squeeze=False)
    for index, axis in enumerate(axes.flat):
        if index < len(images):
            _imshow(axis, images[index], label_map)
            if titles is not None:
                axis.set_title(titles[index], fontsize=8)
        else:
            axis.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    plt.show()


def compare_rows(rows, row_titles, label_map=False, size=1.3, column_titles=None):
    """Aligned rows of images, e.g. inputs above their reconstructions.

    ``label_map``: True (every row), False, or one flag per row, e.g. ``[False, True]`` for MR
    images above their label maps. Label maps get a colour key. ``column_titles``: one short
    title above each column.
    """
    columns = len(rows[0])
    flags = [label_map] * len(rows) if isinstance(label_map, bool) else list(label_map)
    fig, axes = plt.subplots(len(rows), columns, squeeze=False,
                             figsize=(size * columns, size * len(rows) + 0.3 * (column_titles is not None)))
    for row, (images, title, flag) in enumerate(zip(rows, row_titles, flags)):
        for column in range(columns):
            _imshow(axes[row, column], images[column], flag)
        axes[row, 0].set_ylabel(title, fontsize=9)
    for axis, title in zip(axes[0], column_titles or ()):
        axis.set_title(textwrap.fill(str(title), 14), fontsize=8)
    fig.tight_layout()
    if any(flags):
        _label_key(fig)
    plt.show()


def _label_key(fig):
    """A colour key of the cardiac structures, below the figure."""
    handles = [Patch(color=LABEL_COLOURS(label), label=name)
               for label, name in enumerate(STRUCTURE_NAMES, start=1)]
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles),
               fontsize=8, frameon=False)


def plot_history(history, keys=None, title="Training", unit=None):
    """Loss curves from ``model.fit(...).history``; one panel per metric, epochs counted from 1.

    ``unit``: what the losses are measured in (e.g. "nats per image"), on the y axis. A first
    epoch far above the rest (more than twice their largest value) is left off the scale, and
    its value written in the panel, so that the scale shows the rest of training.
    """
    history = getattr(history, "history", history)
    keys = keys or [key for key in history if not key.startswith("val_")]
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3), squeeze=False)
    for axis, key in zip(axes.flat, keys):
        curves = {"training": history[key], "validation": history.get(f"val_{key}")}
        curves = {name: np.asarray(values, float) for name, values in curves.items() if values is not None}
        for name, values in curves.items():
            axis.plot(np.arange(1, len(values) + 1), values, label=name)
        _clip_first_epoch(axis, curves)
        axis.set_xlabel("epoch")
        if unit:
            axis.set_ylabel(unit)
        axis.set_title(key)
        axis.legend()
    fig.suptitle(title)
    fig.tight_layout()
    plt.show()


def _clip_first_epoch(axis, curves):
    rest = [values[1:] for values in curves.values() if len(values) > 2]
    if not rest:
        return
    rest_low, rest_high = min(map(np.min, rest)), max(map(np.max, rest))
    first = max(values[0] for values in curves.values())
    if first > 2 * rest_high > 0:
        axis.set_ylim(min(0.0, rest_low), 1.1 * rest_high)
        axis.text(0.5, 0.95, f"epoch 1: {first:,.0f} (off the scale)", transform=axis.transAxes,
                  ha="center", va="top", fontsize=8)


def plot_latent_scatter(points, labels, class_names=None, title="Latent space", axis=None,
                        axis_names=("$z_1$", "$z_2$")):
    """A 2-D latent space, one dot per example, coloured by class. Drawn on ``axis`` (and
    returned) if given, else shown as a figure of its own (and None returned: no ``<Axes>``
    echoed under the plot). ``axis_names``: e.g. ("PC 1", "PC 2") for a projection."""
    show = axis is None
    if show:
        _, axis = plt.subplots(figsize=(6, 5))
    labels = np.asarray(labels)
    classes = np.unique(labels)
    colours = plt.get_cmap("tab10")
    for index, cls in enumerate(classes):
        chosen = labels == cls
        name = class_names[index] if class_names is not None else str(cls)
        axis.scatter(points[chosen, 0], points[chosen, 1], s=4, alpha=0.6,
                     color=colours(index % 10), label=name)
    axis.set_xlabel(axis_names[0])
    axis.set_ylabel(axis_names[1])
    axis.set_title(title)
    axis.legend(markerscale=3, fontsize=8, loc="best")
    if show:
        plt.show()
        return None
    return axis


def plot_latent_grid(decode, extent=3.0, steps=15, image_shape=(28, 28)):
    """Decode a regular grid of 2-D latent points and tile the images."""
    values = np.linspace(-extent, extent, steps, dtype=np.float32)
    grid = np.array([[x, y] for y in values[::-1] for x in values], np.float32)
    images = np.asarray(decode(grid)).reshape(steps, steps, *image_shape)
    canvas = images.transpose(0, 2, 1, 3).reshape(steps * image_shape[0], steps * image_shape[1])
    plt.figure(figsize=(6, 6))
    plt.imshow(canvas, cmap="gray", extent=[-extent, extent, -extent, extent])
    plt.xlabel("$z_1$")
    plt.ylabel("$z_2$")
    plt.title("Decoded latent grid")
    plt.show()


def plot_dice_per_slice(dice, heart_pixels, title="Dice per validation slice"):
    """Per-slice Dice of each structure (``dice``: (N, 3), NaN where absent) against the
    number of heart pixels of the true slice: small (apical) slices on the left."""
    fig, axes = plt.subplots(1, len(STRUCTURE_NAMES), figsize=(4 * len(STRUCTURE_NAMES), 3),
                             sharey=True, squeeze=False)
    for index, (axis, name) in enumerate(zip(axes.flat, STRUCTURE_NAMES)):
        scored = ~np.isnan(dice[:, index])
        axis.scatter(heart_pixels[scored], dice[scored, index], s=6, alpha=0.5,
                     color=LABEL_COLOURS(index + 1))
        axis.set_xscale("log")
        axis.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))  # 100, 200, 500, 1000...
        axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.set_xlabel("heart pixels in the true slice")
        axis.set_title(f"{name}: mean {np.mean(dice[scored, index]):.3f} over {scored.sum()} slices",
                       fontsize=9)
    axes[0, 0].set_ylabel("Dice")
    fig.suptitle(title)
    fig.tight_layout()
    plt.show()


def plot_dice_by_latent_size(latent_sizes, dice, title="Dice against latent size"):
    """Validation Dice per structure (``dice``: one {structure: Dice} per latent size)."""
    if not latent_sizes:  # the experiment was skipped (quick mode)
        return
    fig, axis = plt.subplots(figsize=(5, 3.2))
    for label, name in enumerate(STRUCTURE_NAMES, start=1):
        axis.plot(latent_sizes, [d[name] for d in dice], "o-", color=LABEL_COLOURS(label), label=name)
    axis.plot(latent_sizes, [np.mean(list(d.values())) for d in dice], "k--", label="mean")
    axis.set_xscale("log", base=2)
    axis.set_xticks(latent_sizes, [str(n) for n in latent_sizes])
    axis.set_xlabel("latent size")
    axis.set_ylabel("validation Dice")
    axis.set_title(title)
    axis.legend(fontsize=8)
    fig.tight_layout()
    plt.show()


def compare_pixel_losses(targets=(0.0, 0.5, 1.0)):
    """Cross-entropy and squared error for one pixel, and their gradients through a sigmoid.

    Left: each loss as a function of the prediction x_hat, for a few target values x.
    Right: the gradient with respect to the sigmoid's input a (x_hat = sigmoid(a)), the
    signal that trains the decoder: x_hat - x for cross-entropy, 2 (x_hat - x) x_hat (1 - x_hat)
    for the squared error.
    """
    x_hat = np.linspace(1e-3, 1 - 1e-3, 400)
    fig, (losses, gradients) = plt.subplots(1, 2, figsize=(10, 3.6))
    for index, x in enumerate(targets):
        colour = plt.get_cmap("tab10")(index)
        bce = -(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat))
        losses.plot(x_hat, bce, color=colour, label=f"target x = {x:g}")
        losses.plot(x_hat, (x_hat - x) ** 2, color=colour, linestyle="--")
        gradients.plot(x_hat, x_hat - x, color=colour)
        gradients.plot(x_hat, 2 * (x_hat - x) * x_hat * (1 - x_hat), color=colour, linestyle="--")
    losses.set(xlabel=r"prediction $\hat{x}$", ylabel="loss", title="Loss for one pixel", ylim=(0, 4))
    gradients.set(xlabel=r"prediction $\hat{x} = \sigma(a)$", ylabel=r"$\partial\,\mathrm{loss} / \partial a$",
                  title="Its gradient through the sigmoid")
    gradients.axhline(0, color="grey", linewidth=0.5)
    losses.legend(fontsize=8, loc="upper center")
    gradients.plot([], [], color="black", label="cross-entropy")
    gradients.plot([], [], color="black", linestyle="--", label="squared error")
    gradients.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    plt.show()



def mark_points(axis, points, colour="black"):
    """Numbered crosses (1, 2, ...) on a 2-D latent plot, e.g. the codes that were decoded."""
    for index, point in enumerate(np.asarray(points)):
        axis.scatter(*point[:2], marker="X", s=90, color=colour, edgecolor="white", zorder=3, clip_on=False)
        axis.annotate(str(index + 1), point[:2], xytext=(4, 4), textcoords="offset points", fontsize=8,
                      fontweight="bold", annotation_clip=False)


def plot_posterior_statistics(stats, title="Aggregate posterior q(z) against the prior N(0, I)"):
    """Per latent dimension (``stats``: :class:`aecourse.generation.PosteriorStatistics`): the
    variance of q(z), Var(mu) + E[sigma^2], against the prior's 1; the mean of q(z) against 0;
    the mean KL, against the 0.05-nat threshold of an active dimension."""
    dims = np.arange(len(stats.mean))
    fig, (variance, mean, kl) = plt.subplots(1, 3, figsize=(13, 2.9), sharex=True)
    variance.bar(dims, stats.variance_of_means, color="tab:blue", label=r"Var($\mu$)")
    variance.bar(dims, stats.mean_variance, bottom=stats.variance_of_means, color="tab:cyan",
                 label=r"E[$\sigma^2$]")
    variance.axhline(1, color="black", linestyle="--", linewidth=1, label="prior: 1")
    variance.set(title=f"variance: {stats.variance.min():.2f} to {stats.variance.max():.2f}", ylabel="Var(z)")
    variance.set_ylim(0, 1.35 * max(1.0, float(stats.variance.max())))  # room for the legend
    variance.legend(fontsize=7, ncol=3, loc="upper left")
    mean.bar(dims, stats.mean, color="tab:green")
    mean.axhline(0, color="black", linestyle="--", linewidth=1)
    mean.set(title=f"mean: {stats.mean.min():+.2f} to {stats.mean.max():+.2f}", ylabel=r"E[$\mu$]")
    kl.bar(dims, stats.kl, color="tab:purple")
    kl.axhline(0.05, color="black", linestyle=":", linewidth=1)
    kl.set(title=f"KL: {stats.kl.min():.2f} to {stats.kl.max():.2f} nats, "
                 f"{int(stats.active().sum())} of {len(dims)} active (> 0.05)", ylabel="nats")
    for axis in (variance, mean, kl):
        axis.set_xlabel("latent dimension")
        axis.title.set_fontsize(9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plt.show()


def plot_rate_distortion(runs, threshold=0.01, title="A beta sweep"):
    """A sweep's rate-distortion curve (left) and its active units (right).

    ``runs``: ``{beta: run}`` with ``run.rate``, ``run.distortion`` (nats) and ``run.mean_variance``
    (per latent dimension, the variance over inputs of the posterior mean), as
    :func:`aecourse.sweep.beta_sweep` returns them. Left: one point per beta, the rate on a log
    axis (it spans decades); the dashed curve is rate + distortion = the best value in the sweep
    (a line of slope -1 on linear axes): every point on it has that ELBO. Right: each run's
    dimensions sorted by that variance, with the active-unit threshold.
    """
    runs = list(runs.values())
    rates = np.array([run.rate for run in runs])
    distortions = np.array([run.distortion for run in runs])
    fig, (curve, units) = plt.subplots(1, 2, figsize=(12, 4))
    curve.plot(rates, distortions, "o-", color="tab:blue")
    for index, run in enumerate(runs):  # labels alternately above and below their points
        curve.annotate(f"β = {run.beta:g}: {run.n_active} active", (run.rate, run.distortion),
                       xytext=(6, 6 if index % 2 == 0 else -12), textcoords="offset points", fontsize=8)
    best = float(np.min(rates + distortions))
    low, high = max(rates.min(), 1e-3) / 3, rates.max() * 3
    span = np.geomspace(low, min(high, 0.999 * best), 200)
    curve.plot(span, best - span, "--", color="grey", linewidth=1,
               label=f"rate + distortion = {best:.1f} (the best -ELBO here)")
    curve.set_xscale("log")
    curve.set_xlim(low, high)
    curve.set_ylim(0.9 * distortions.min(), 1.08 * distortions.max())
    curve.set(xlabel="rate: KL(q(z|x) ‖ p(z)), nats (log scale)",
              ylabel="distortion: E_q[-log p(x|z)], nats", title="Rate and distortion on the test digits")
    curve.legend(fontsize=8, loc="center right")
    for index, run in enumerate(runs):
        variance = np.sort(run.mean_variance)[::-1]
        units.plot(np.arange(1, len(variance) + 1), np.maximum(variance, 1e-8), ".-",
                   color=plt.get_cmap("viridis")(index / max(1, len(runs) - 1)), label=f"β = {run.beta:g}")
    units.axhline(threshold, color="black", linestyle="--", linewidth=1, label=f"active above {threshold:g}")
    units.set_yscale("log")
    units.set(xlabel="latent dimensions, sorted", ylabel="Var over x of E_q[z_u | x]",
              title="Active units")
    units.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.suptitle(title)
    fig.tight_layout()
    plt.show()
