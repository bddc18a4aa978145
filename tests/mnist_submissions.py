"""Mistakes and alternative answers for the MNIST assignment."""

from submissions import Edit, Submission

SAMPLE = "return z_mean + ops.exp(0.5 * z_log_var) * epsilon"
NOISE = "epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)"
KL = "return -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)"
CLIP = "x_hat = ops.clip(x_hat, eps, 1 - eps)"
REC = "return -ops.sum(x * ops.log(x_hat) + (1 - x) * ops.log(1 - x_hat), axis=-1)"
ELBO = "return ops.mean(reconstruction_loss(x, x_hat) + beta * kl_divergence(z_mean, z_log_var))"
RELU_128, RELU_64 = 'layers.Dense(128, activation="relu")', 'layers.Dense(64, activation="relu")'

MUTANTS = [
    # -- sampling
    Submission("std_is_exp_logvar", [Edit("sampling_layer", SAMPLE,
               "return z_mean + ops.exp(z_log_var) * epsilon")],
               must_fail=("test_sampling_statistics", "test_sampling_gradients"), misconception="std_is_exp_logvar"),
    Submission("std_is_logvar", [Edit("sampling_layer", SAMPLE, "return z_mean + z_log_var * epsilon")],
               must_fail=("test_sampling_statistics", "test_sampling_gradients"), misconception="std_is_logvar"),
    Submission("noise_uniform", [Edit("sampling_layer", NOISE,
               "epsilon = keras.random.uniform(ops.shape(z_mean), seed=self.seed_generator)")],
               must_fail=("test_sampling_statistics",), misconception="noise_not_gaussian"),
    Submission("noise_fixed_seed", [Edit("sampling_layer", NOISE,
               "epsilon = keras.random.normal(ops.shape(z_mean), seed=1234)")],
               must_fail=("test_sampling_shape", "test_sampling_fresh_noise"), misconception="noise_drawn_once"),
    Submission("noise_numpy", [Edit("sampling_layer", NOISE,
               "epsilon = np.random.standard_normal(z_mean.shape).astype('float32')")],
               must_fail=("test_sampling_shape", "test_sampling_fresh_noise"), misconception="noise_not_keras"),
    # runs eagerly and in a compiled step of fixed batch size, crashes where the batch size is unknown
    Submission("noise_static_shape", [Edit("sampling_layer", NOISE,
               "epsilon = keras.random.normal(z_mean.shape, seed=self.seed_generator)")],
               must_fail=("test_sampling_shape",), misconception="noise_static_shape"),
    Submission("noise_one_per_dimension", [Edit("sampling_layer", NOISE,
               "epsilon = keras.random.normal(ops.shape(z_mean)[1:], seed=self.seed_generator)")],
               must_fail=("test_sampling_statistics", "test_sampling_fresh_noise"), misconception="noise_one_per_dimension"),
    # -- KL
    Submission("kl_sign_flipped", [Edit("kl_divergence", "return -0.5 *", "return 0.5 *")],
               must_fail=("test_kl_shape", "test_kl_values"), misconception="kl_sign_flipped"),
    Submission("kl_without_half", [Edit("kl_divergence", "return -0.5 *", "return -1.0 *")],
               must_fail=("test_kl_values",), misconception="kl_without_half"),
    Submission("kl_without_one", [Edit("kl_divergence", "ops.sum(1 + z_log_var", "ops.sum(z_log_var")],
               must_fail=("test_kl_shape", "test_kl_values"), misconception="kl_without_one"),
    Submission("kl_mean_over_dimensions", [Edit("kl_divergence", "ops.sum(1 +", "ops.mean(1 +")],
               must_fail=("test_kl_values",), misconception="kl_mean_over_dimensions"),
    Submission("kl_numpy", [Edit("kl_divergence", KL,
               "return -0.5 * np.sum(1 + z_log_var - np.square(z_mean) - np.exp(z_log_var), axis=-1)")],
               must_fail=("test_kl_shape", "test_kl_values", "test_elbo_shape"), misconception="kl_with_numpy"),
    # -- ELBO
    Submission("beta_ignored", [Edit("negative_elbo", "+ beta * kl_divergence", "+ kl_divergence")],
               must_fail=("test_elbo_values",), misconception="beta_ignored"),
    Submission("elbo_summed_over_batch", [Edit("negative_elbo", "return ops.mean(", "return ops.sum(")],
               must_fail=("test_elbo_values",), misconception="elbo_summed_over_batch"),
    Submission("elbo_numpy", [Edit("negative_elbo", "return ops.mean(", "return np.mean(")],
               must_fail=("test_elbo_shape", "test_elbo_values"), misconception="elbo_with_numpy"),
    # -- reconstruction loss
    Submission("reconstruction_summed_over_batch", [Edit("reconstruction_loss", "axis=-1)", "axis=0)")],
               must_fail=("test_reconstruction_loss_shape", "test_reconstruction_loss_values"),
               misconception="reconstruction_over_batch"),
    Submission("reconstruction_mean_over_pixels", [Edit("reconstruction_loss", REC,
               "return keras.losses.binary_crossentropy(x, x_hat)")],
               must_fail=("test_reconstruction_loss_values",), misconception="reconstruction_mean_over_pixels"),
    Submission("reconstruction_unclipped", [Edit("reconstruction_loss", CLIP, "pass")],
               must_fail=("test_reconstruction_loss_shape", "test_reconstruction_loss_values"),
               misconception="reconstruction_log_of_zero"),
    Submission("reconstruction_clip_too_wide", [Edit("reconstruction_loss", "eps = keras.config.epsilon()", "eps = 1e-3")],
               must_fail=("test_reconstruction_loss_values",), misconception="reconstruction_clip_too_wide"),
    Submission("reconstruction_numpy", [Edit("reconstruction_loss", REC,
               "return -np.sum(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat), axis=-1)")],
               must_fail=("test_reconstruction_loss_shape", "test_reconstruction_loss_values", "test_elbo_shape"),
               misconception="reconstruction_with_numpy"),
    # -- models
    Submission("decoder_without_sigmoid", [Edit("build_decoder", 'layers.Dense(N_PIXELS, activation="sigmoid")',
               "layers.Dense(N_PIXELS)")],
               must_fail=("test_decoder_shapes", "test_decoder_activations"), misconception="decoder_without_sigmoid"),
    Submission("activation_on_bottleneck", [Edit("build_encoder", "layers.Dense(latent_dim),",
               'layers.Dense(latent_dim, activation="relu"),')],
               must_fail=("test_encoder_activations",), misconception="activation_on_bottleneck"),
    Submission("encoder_first_layer_linear", [Edit("build_encoder", RELU_128, "layers.Dense(128)")],
               must_fail=("test_encoder_activations",), misconception="hidden_not_relu"),
    Submission("encoder_leaky_relu", [Edit("build_encoder", RELU_64, 'layers.Dense(64, activation="leaky_relu")')],
               must_fail=("test_encoder_activations",), misconception="hidden_not_relu"),
    Submission("encoder_tanh", [Edit("build_encoder", 'activation="relu"', 'activation="tanh"')],
               must_fail=("test_encoder_activations",), misconception="hidden_not_relu"),
    Submission("encoder_relu6", [Edit("build_encoder", RELU_128, 'layers.Dense(128, activation="relu6")')],
               must_fail=("test_encoder_activations",), misconception="hidden_not_relu"),
    Submission("decoder_sigmoid_hidden", [Edit("build_decoder", RELU_64, 'layers.Dense(64, activation="sigmoid")')],
               must_fail=("test_decoder_activations",), misconception="decoder_hidden_not_relu"),
    Submission("decoder_second_layer_linear", [Edit("build_decoder", RELU_128, "layers.Dense(128)")],
               must_fail=("test_decoder_activations",), misconception="decoder_hidden_not_relu"),
    Submission("vae_encoder_hidden_linear", [Edit("build_vae_encoder", f"{RELU_64}(hidden)", "layers.Dense(64)(hidden)")],
               must_fail=("test_vae_encoder_architecture",), misconception="vae_encoder_hidden_not_relu"),
    Submission("vae_encoder_log_var_relu", [Edit("build_vae_encoder", 'layers.Dense(latent_dim, name="z_log_var")',
               'layers.Dense(latent_dim, activation="relu", name="z_log_var")')],
               must_fail=("test_vae_encoder_architecture",), misconception="vae_encoder_activation_on_heads"),
    Submission("wrong_hidden_sizes", [Edit("build_encoder", "layers.Dense(128,", "layers.Dense(256,"),
                                      Edit("build_decoder", "layers.Dense(64,", "layers.Dense(32,")],
               must_fail=("test_encoder_architecture", "test_decoder_architecture"), misconception="wrong_hidden_sizes"),
]

FUNCTIONAL_AND_SUBCLASS = '''
def build_encoder(latent_dim):
    """Functional API."""
    inputs = keras.Input(shape=(784,))
    hidden = layers.Dense(64, activation="relu")(layers.Dense(128, activation="relu")(inputs))
    return keras.Model(inputs, layers.Dense(latent_dim)(hidden))
'''

SUBCLASSED_DECODER = '''
class Decoder(keras.Model):
    def __init__(self, latent_dim):
        super().__init__()
        self.hidden1 = layers.Dense(64, activation="relu")
        self.hidden2 = layers.Dense(128, activation="relu")
        self.out = layers.Dense(784)

    def call(self, z):
        return ops.sigmoid(self.out(self.hidden2(self.hidden1(z))))


def build_decoder(latent_dim):
    """A subclassed model, sigmoid applied with keras.ops."""
    return Decoder(latent_dim)  # unbuilt until first called
'''

TF_SAMPLING = '''
import tensorflow as tf

class Sampling(layers.Layer):
    """TensorFlow ops, std as sqrt(exp(log_var))."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = tf.random.normal(tf.shape(z_mean))
        return z_mean + tf.sqrt(tf.exp(z_log_var)) * epsilon
'''

ONE_HEAD_ENCODER = '''
def build_vae_encoder(latent_dim):
    """One Dense(2 * latent_dim) head, split in two."""
    inputs = keras.Input(shape=(784,))
    hidden = layers.Dense(64, activation="relu")(layers.Dense(128, activation="relu")(inputs))
    both = layers.Dense(2 * latent_dim)(hidden)
    return keras.Model(inputs, [both[:, :latent_dim], both[:, latent_dim:]])
'''

ACTIVATION_LAYERS_ENCODER = '''
def build_encoder(latent_dim):
    """Activations as layers of their own."""
    return keras.Sequential([
        keras.Input(shape=(N_PIXELS,)),
        layers.Dense(128), layers.ReLU(),
        layers.Dense(64), layers.Activation("relu"),
        layers.Dense(latent_dim),
    ])
'''

SUBCLASSED_VAE_ENCODER = '''
class VaeEncoder(keras.Model):
    def __init__(self, latent_dim):
        super().__init__()
        self.hidden = [layers.Dense(128, activation="relu"), layers.Dense(64, activation="relu")]
        self.mean = layers.Dense(latent_dim)
        self.log_var = layers.Dense(latent_dim)

    def call(self, x):
        for layer in self.hidden:
            x = layer(x)
        return [self.mean(x), self.log_var(x)]


def build_vae_encoder(latent_dim):
    """A subclassed model with two heads."""
    return VaeEncoder(latent_dim)
'''

# The mean outside training (the instructions accept it): the tests sample with training=True.
SAMPLING_WITH_TRAINING_FLAG = '''
class Sampling(layers.Layer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        z_mean, z_log_var = inputs
        if not training:
            return z_mean
        sigma = ops.sqrt(ops.exp(z_log_var))
        return z_mean + sigma * keras.random.normal(ops.shape(z_log_var), seed=self.seed_generator)
'''

ALTERNATIVES = [
    Submission("functional_and_subclassed_models",
               answers={"build_encoder": FUNCTIONAL_AND_SUBCLASS, "build_decoder": SUBCLASSED_DECODER,
                        "build_vae_encoder": ONE_HEAD_ENCODER}),
    Submission("tensorflow_ops_and_other_formulas",
               answers={"sampling_layer": TF_SAMPLING},
               edits=[Edit("reconstruction_loss", REC,
                           "return 784 * keras.losses.binary_crossentropy(x, x_hat)"),
                      Edit("kl_divergence", KL,
                           "return 0.5 * ops.sum(ops.exp(z_log_var) + z_mean ** 2 - 1.0 - z_log_var, axis=1)"),
                      Edit("negative_elbo", ELBO,
                           "return ops.mean(reconstruction_loss(x, x_hat)) + beta * ops.mean(kl_divergence(z_mean, z_log_var))")]),
    Submission("activation_layers_training_flag_and_other_choices",
               answers={"build_encoder": ACTIVATION_LAYERS_ENCODER, "build_vae_encoder": SUBCLASSED_VAE_ENCODER,
                        "sampling_layer": SAMPLING_WITH_TRAINING_FLAG},
               edits=[Edit("reconstruction_loss", "eps = keras.config.epsilon()", "eps = 1e-4"),  # the largest accepted
                      Edit("negative_elbo", "beta * kl_divergence", "kl_weight * kl_divergence"),
                      Edit("negative_elbo", "z_log_var, beta):", "z_log_var, kl_weight):")]),
]
