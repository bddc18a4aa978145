"""Training helpers: in-memory input pipelines for ``fit`` and one progress bar per run.

Feeding ``fit`` a ``tf.data`` pipeline (rather than numpy arrays) and compiling with
XLA and several steps per execution roughly doubles CPU throughput on the
course's small models.
"""

import sys

import keras
import numpy as np
import tensorflow as tf

from aecourse.runtime import QUICK, widgets_available


def batches(inputs, targets=None, batch_size=128, shuffle=True, seed=0):
    """A ``tf.data.Dataset`` of ``(inputs, targets)`` batches (or inputs alone).

    The data set reshuffles itself every epoch, so pass ``shuffle=False`` to ``fit``.
    """
    inputs = np.asarray(inputs)
    elements = inputs if targets is None else (inputs, np.asarray(targets))
    dataset = tf.data.Dataset.from_tensor_slices(elements).cache()
    if shuffle:
        dataset = dataset.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


class EpochProgress(keras.callbacks.Callback):
    """One progress bar for a whole ``fit`` run, showing the latest losses.

    A widget in JupyterLab (as wide as the notebook, its text wrapping below the bar rather
    than being cut off), a text bar on stdout elsewhere, nothing in quick mode. Each loss shows
    as ``training/validation``. A run that early stopping ends finishes its bar there, in
    green, and says so. Use it with ``verbose=0``.
    """

    def __init__(self, epochs, description="training"):
        super().__init__()
        self.epochs, self.description, self.bar = epochs, description, None

    def on_train_begin(self, logs=None):
        if QUICK:
            return
        if widgets_available():
            from tqdm.auto import tqdm
            self.bar = tqdm(total=self.epochs, desc=self.description, unit="epoch", dynamic_ncols=True)
        else:
            from tqdm import tqdm
            self.bar = tqdm(total=self.epochs, desc=self.description, unit="epoch",
                            file=sys.stdout, mininterval=30, ascii=True)

    def on_epoch_end(self, epoch, logs=None):
        if self.bar is not None:
            self.bar.set_postfix_str(losses_text(logs or {}), refresh=False)
            self.bar.update(1)

    def on_train_end(self, logs=None):
        if self.bar is None:
            return
        if self.model.stop_training and self.bar.n < self.bar.total:  # early stopping
            self.bar.set_description(f"{self.description} (stopped early)", refresh=False)
            self.bar.total = self.bar.n
            widget = getattr(self.bar, "container", None)  # tqdm's notebook widget: its bar's maximum
            if widget is not None:
                widget.children[1].max = self.bar.n
        self.bar.close()


#: Shorter names for the progress bar, so that its line fits beside the bar.
SHORT_NAMES = {"reconstruction": "rec"}


def losses_text(logs):
    """``{"loss": 1.5, "val_loss": 2.0, "kl": 3.0}`` -> ``"loss 1.5/2, kl 3 (train/val)"``."""
    parts = []
    for name, value in logs.items():
        if name.startswith("val_"):
            continue
        text = f"{SHORT_NAMES.get(name, name)} {value:.4g}"
        if f"val_{name}" in logs:
            text += f"/{logs[f'val_{name}']:.4g}"
        parts.append(text)
    has_validation = any(name.startswith("val_") for name in logs)
    return ", ".join(parts) + (" (train/val)" if has_validation else "")
