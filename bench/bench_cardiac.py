"""Cardiac benchmark: notebook wall time, validation Dice, plausibility, training throughput.

    .venv/bin/python -m bench.bench_cardiac   (from the repository root) [--skip-notebook]

1. runs the instructor notebook in full, as a student would (target: at most 10 minutes on
   2 cores), and reads its validation Dice per structure (target: mean >= 0.90) and the
   plausibility rate of its prior samples;
2. in the same kernel, times training throughput (samples/s) of the notebook's own VAE at the
   default size and widths, and at the original session's setting (256x256, 48/96/192/48).
"""

import argparse
import json

from bench.notebook_runner import run_notebook

RESULTS = """
import json
print(json.dumps({"data": describe_file(cardiac_h5()).splitlines()[0], "epochs": EPOCHS,
                  "train_slices": len(x_train), "val_slices": len(x_val), "dice": dice,
                  "mean_dice": float(np.mean(list(dice.values()))),
                  "prior_samples": int(N_SAMPLES), "plausible_prior_samples": float(plausibility_rate(samples)),
                  "plausible_reconstructions": float(plausibility_rate(val_reconstructed))}))
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
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-notebook", action="store_true", help="quick mode: throughput only")
    args = parser.parse_args()
    _, seconds, outputs = run_notebook("cardiac_vae", [RESULTS, THROUGHPUT], quick=args.skip_notebook)
    if not args.skip_notebook:
        print(f"notebook wall time (full run, as a student): {seconds:.0f} s (target <= 600 s)")
    for block in outputs:
        for key, value in json.loads(block.strip().splitlines()[-1]).items():
            print(f"  {key}: {value:.4g}" if isinstance(value, float) else f"  {key}: {value}")


if __name__ == "__main__":
    main()
