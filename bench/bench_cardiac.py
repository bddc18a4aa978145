"""Cardiac benchmark: notebook wall time, validation Dice, plausibility, training throughput.

    .venv/bin/python -m bench.bench_cardiac   (from the repository root)
        [--skip-notebook] [--compare-beta 1 1.64] [--executed build/cardiac_vae_executed.ipynb]

1. runs the instructor notebook in full, as a student would (target: at most 10 minutes on
   2 cores), and reads its validation and test Dice per structure (pooled, target on test: mean
   >= 0.90; and the validation mean per slice), the plausibility of the test ground truth, of its
   prior samples and of its samples from the Gaussian fitted to the training codes (target >= 75%),
   the active latent dimensions, the capstone's repair of broken test maps (plausibility and Dice
   before and after, per kind of failure), the latent-size experiment's Dice, and the seconds of its
   heaviest cells;
2. with ``--compare-beta``, trains the notebook's VAE again for each KL weight given (same epochs,
   schedule and seed for each) and reads its Dice and the plausibility of the same prior samples;
3. in the same kernel, times training throughput (samples/s) of the notebook's own VAE at the
   default size and widths, and at the original session's setting (256x256, 48/96/192/48).

``--executed PATH`` keeps the executed notebook (e.g. to export it to HTML and look at it).
"""

import argparse
import json
from datetime import datetime

import nbformat

from bench.notebook_runner import run_notebook

# The notebook's heaviest cells, timed on their own (cell id: what it does).
TIMED_CELLS = {"cell-033": "training", "per-slice-dice": "Dice per slice",
               "latent-size-sweep": "latent-size experiment", "cell-043": "prior samples and plausibility",
               "test-dice": "test-split Dice", "fitted-gaussian": "samples of the fitted Gaussian",
               "capstone-repair": "capstone: repairing broken maps"}

RESULTS = """
import json
print(json.dumps({"data": describe_file(cardiac_h5()).splitlines()[0], "epochs": EPOCHS,
                  "train_slices": len(x_train), "val_slices": len(x_val), "dice": dice,
                  "mean_dice": float(np.mean(list(dice.values()))),
                  "dice_mean_per_slice": per_slice_mean,
                  "latent_size_dice": {str(n): float(np.mean(list(d.values()))) for n, d in zip(LATENT_SIZES, sweep_dice)},
                  "prior_samples": int(N_SAMPLES), "plausible_prior_samples": float(plausibility_rate(samples)),
                  "plausible_reconstructions": float(plausibility_rate(val_reconstructed)),
                  "test_dice": test_dice, "test_mean_dice": float(np.mean(list(test_dice.values()))),
                  "plausible_test_ground_truth": float(plausibility_rate(test.labels)),
                  "plausible_fitted_gaussian_samples": float(plausibility_rate(fitted_samples)),
                  "plausible_aggregate_posterior_samples": float(plausibility_rate(posterior_samples)),
                  "prior_samples_touching_the_edge": float(generation.touches_border(samples).mean()),
                  "active_dimensions": int(posterior.active().sum()),
                  "capstone_repair": [vars(s) for s in repair_scores(test.labels, broken, repaired, SPACING_MM)]}))
"""  # noqa: E501

BETA_COMPARISON = """
import json, time
def beta_run(beta):
    keras.utils.set_random_seed(42)
    model = VariationalAutoencoder(build_cardiac_encoder(INPUT_SHAPE, LATENT_DIM, WIDTHS),
        build_cardiac_decoder(INPUT_SHAPE, LATENT_DIM, WIDTHS), Sampling(seed=1),
        reconstruction_loss=reconstruction_loss, kl_divergence=kl_divergence, negative_elbo=negative_elbo, beta=beta)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate(EPOCHS, len(x_train))), **FIT_SPEED)
    start = time.perf_counter()
    model.fit(batches(x_train, batch_size=BATCH_SIZE), epochs=EPOCHS, shuffle=False, verbose=0)
    seconds = time.perf_counter() - start
    beta_dice = dice_per_structure(val.labels, reconstruct(val.labels, model))
    return {"mean_dice": float(np.mean(list(beta_dice.values()))), "dice": beta_dice, "train_s": round(seconds),
            "plausible_prior_samples": plausibility_rate(decode_labels(prior_z, model))}
print(json.dumps({f"beta_{beta:g}": beta_run(beta) for beta in BETAS}))
"""

THROUGHPUT = """
import json, time
def samples_per_second(size, widths, n=64, epochs=2):
    shape = (size, size, N_CLASSES)
    model = VariationalAutoencoder(build_cardiac_encoder(shape, LATENT_DIM, widths),
        build_cardiac_decoder(shape, LATENT_DIM, widths), Sampling(seed=1),
        reconstruction_loss=reconstruction_loss, kl_divergence=kl_divergence, negative_elbo=negative_elbo, beta=BETA)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), **FIT_SPEED)
    x = one_hot(np.random.default_rng(0).integers(0, 4, (n, size, size)))
    model.fit(batches(x, batch_size=BATCH_SIZE), epochs=1, shuffle=False, verbose=0)
    start = time.perf_counter()
    model.fit(batches(x, batch_size=BATCH_SIZE), epochs=epochs, shuffle=False, verbose=0)
    return epochs * n / (time.perf_counter() - start)
print(json.dumps({f"samples_per_s_{IMAGE_SIZE}px_{'-'.join(map(str, WIDTHS))}": samples_per_second(IMAGE_SIZE, WIDTHS, n=256),
                  "samples_per_s_256px_48-96-192-48": samples_per_second(256, (48, 96, 192, 48), n=32, epochs=1),
                  "batch_size": BATCH_SIZE}))
"""  # noqa: E501


def cell_seconds(cell):
    """Seconds a cell ran, from the timing nbclient records in its metadata."""
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return float("nan")
    return (datetime.fromisoformat(end.replace("Z", "+00:00"))
            - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-notebook", action="store_true", help="quick mode: throughput only")
    parser.add_argument("--compare-beta", type=float, nargs="+", default=[], metavar="BETA",
                        help="also train the VAE with these KL weights and compare Dice and plausibility")
    parser.add_argument("--executed", help="write the executed notebook to this .ipynb path")
    args = parser.parse_args()
    extra = [RESULTS] + ([f"BETAS = {args.compare_beta!r}" + BETA_COMPARISON] if args.compare_beta else [])
    notebook, seconds, outputs = run_notebook("cardiac_vae", extra + [THROUGHPUT], quick=args.skip_notebook)
    if args.executed:
        nbformat.write(notebook, args.executed)
    if not args.skip_notebook:
        print(f"notebook wall time (full run, as a student): {seconds:.0f} s (target <= 600 s)")
        for cell in notebook.cells:
            if cell.get("id") in TIMED_CELLS:
                print(f"  cell {cell.id} ({TIMED_CELLS[cell.id]}): {cell_seconds(cell):.0f} s")
    for block in outputs:
        for key, value in json.loads(block.strip().splitlines()[-1]).items():
            print(f"  {key}: {value:.4g}" if isinstance(value, float) else f"  {key}: {value}")


if __name__ == "__main__":
    main()
