"""Mistakes and alternative answers for the cardiac VAE assignment."""

from mnist_submissions import TF_SAMPLING  # the same layer answers both assignments
from submissions import Edit, Submission

ONE_HOT = 'ops.one_hot(ops.convert_to_tensor(label_maps, "int32"), N_CLASSES)'
ENCODER_LOOP = "for width in widths:\n        x = layers.Conv2D(width, 3, strides=2,"
LOGITS = 'logits = layers.Conv2D(output_shape[-1], 3, padding="same")(x)'
SAMPLE = "return z_mean + ops.exp(0.5 * z_log_var) * epsilon"
NOISE = "epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)"
CROSS_ENTROPY = "keras.losses.categorical_crossentropy(y_true, logits, from_logits=True)"
PIXEL_SUM = "return ops.sum(per_pixel, axis=(1, 2))"
KL = "return -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)"
ELBO = "return ops.mean(reconstruction_loss(y_true, logits) + beta * kl_divergence(z_mean, z_log_var))"
FIRST_CONV = 'strides=2, padding="same", activation="relu"'
SECOND_CONV = 'x = layers.Conv2D(width, 3, padding="same", activation="relu")(x)'
DECODER_DENSE = 'x = layers.Dense(height * width * widths[-1], activation="relu")(inputs)'
DECODER_CONV = 'x = layers.Conv2D(channels, 3, padding="same", activation="relu")(x)'

MUTANTS = [
    # Part A: one-hot encoding
    Submission("one_hot_channels_first", [Edit("one_hot", ONE_HOT, ONE_HOT[:-1] + ", axis=1)")],
               must_fail=("test_one_hot_shape", "test_one_hot_values"), misconception="one_hot_channels_first"),
    Submission("labels_not_one_hot", answers={"one_hot": (
        'N_CLASSES = 4\n\ndef one_hot(label_maps):\n    return label_maps[..., None].astype("float32")\n')},
               must_fail=("test_one_hot_shape", "test_one_hot_values"), misconception="labels_not_one_hot"),
    Submission("one_hot_classes_from_data", [Edit("one_hot", ONE_HOT,
               ONE_HOT.replace("N_CLASSES)", "int(np.max(label_maps)) + 1)"))],
               must_fail=("test_one_hot_values",), misconception="one_hot_classes_from_data"),
    Submission("one_hot_integers", [Edit("one_hot", ONE_HOT, ONE_HOT[:-1] + ', dtype="int32")')],
               must_fail=("test_one_hot_shape",), misconception="one_hot_integers"),
    # Part B: the encoder
    Submission("encoder_three_blocks", [Edit("build_cardiac_encoder", "for width in widths:",
                                             "for width in widths[:3]:")],
               must_fail=("test_encoder_architecture",), misconception="encoder_missing_block"),
    Submission("encoder_first_block_stride_1", [Edit("build_cardiac_encoder", ENCODER_LOOP,
               "for i, width in enumerate(widths):\n        x = layers.Conv2D(width, 3, strides=2 if i else 1,")],
               must_fail=("test_encoder_architecture",), misconception="encoder_not_downsampling"),
    Submission("encoder_relu_heads", [Edit("build_cardiac_encoder", 'name="z_mean")',
                                           'activation="relu", name="z_mean")'),
                                      Edit("build_cardiac_encoder", 'name="z_log_var")',
                                           'activation="relu", name="z_log_var")')],
               must_fail=("test_encoder_architecture",), misconception="encoder_activation_on_heads"),
    Submission("encoder_second_convolutions_linear", [Edit("build_cardiac_encoder", SECOND_CONV,
               'x = layers.Conv2D(width, 3, padding="same")(x)')],
               must_fail=("test_encoder_architecture",), misconception="encoder_hidden_activation"),
    Submission("encoder_leaky_relu", [Edit("build_cardiac_encoder", FIRST_CONV,
               'strides=2, padding="same", activation="leaky_relu"')],
               must_fail=("test_encoder_architecture",), misconception="encoder_hidden_activation"),
    Submission("encoder_tanh", [Edit("build_cardiac_encoder", 'activation="relu"', 'activation="tanh"')],
               must_fail=("test_encoder_architecture",), misconception="encoder_hidden_activation"),
    Submission("encoder_sigmoid_first_convolutions", [Edit("build_cardiac_encoder", FIRST_CONV,
               'strides=2, padding="same", activation="sigmoid"')],
               must_fail=("test_encoder_architecture",), misconception="encoder_hidden_activation"),
    Submission("encoder_widths_reversed", [Edit("build_cardiac_encoder", "for width in widths:",
                                                "for width in reversed(widths):")],
               must_fail=("test_encoder_architecture",), misconception="encoder_blocks_order"),
    # Part C: the decoder
    Submission("decoder_softmax_output", [Edit("build_cardiac_decoder", LOGITS,
               'logits = layers.Conv2D(output_shape[-1], 3, padding="same", activation="softmax")(x)')],
               must_fail=("test_decoder_architecture",), misconception="decoder_softmax_output"),
    Submission("decoder_conv2d_stride_2", [Edit("build_cardiac_decoder", "layers.Conv2DTranspose(",
                                                "layers.Conv2D(")],
               must_fail=("test_decoder_shapes", "test_decoder_architecture"), misconception="decoder_conv_instead_of_transpose"),
    Submission("decoder_conv2d_stride_1", [Edit("build_cardiac_decoder", "layers.Conv2DTranspose(", "layers.Conv2D("),
                                           Edit("build_cardiac_decoder", "2, strides=2,", '2, padding="same",')],
               must_fail=("test_decoder_shapes", "test_decoder_architecture"), misconception="decoder_not_upsampling"),
    Submission("decoder_last_block_not_upsampling", [Edit("build_cardiac_decoder",
               'x = layers.Conv2DTranspose(widths[0], 2, strides=2, activation="relu")(x)',
               'x = layers.Conv2D(widths[0], 3, padding="same", activation="relu")(x)')],
               must_fail=("test_decoder_shapes", "test_decoder_architecture"), misconception="decoder_block_short"),
    Submission("decoder_convolutions_linear", [Edit("build_cardiac_decoder", DECODER_CONV,
               'x = layers.Conv2D(channels, 3, padding="same")(x)')],
               must_fail=("test_decoder_architecture",), misconception="decoder_hidden_activation"),
    Submission("decoder_dense_linear", [Edit("build_cardiac_decoder", DECODER_DENSE,
               "x = layers.Dense(height * width * widths[-1])(inputs)")],
               must_fail=("test_decoder_architecture",), misconception="decoder_hidden_activation"),
    Submission("decoder_leaky_relu_upsampling", [Edit("build_cardiac_decoder", 'strides=2, activation="relu"',
               'strides=2, activation="leaky_relu"')],
               must_fail=("test_decoder_architecture",), misconception="decoder_hidden_activation"),
    Submission("decoder_sigmoid_output", [Edit("build_cardiac_decoder", LOGITS,
               'logits = layers.Conv2D(output_shape[-1], 3, padding="same", activation="sigmoid")(x)')],
               must_fail=("test_decoder_architecture",), misconception="decoder_softmax_output"),
    Submission("decoder_widths_not_reversed", [Edit("build_cardiac_decoder", "for channels in reversed(widths[:-1]):",
                                                    "for channels in widths[:-1]:")],
               must_fail=("test_decoder_architecture",), misconception="decoder_blocks_order"),
    Submission("decoder_upsampling_gaps", [Edit("build_cardiac_decoder", "2, strides=2,",
                                                '1, strides=2, padding="same",')],
               must_fail=("test_decoder_architecture",), misconception="decoder_upsampling_gaps"),
    Submission("decoder_height_width_swapped", [Edit("build_cardiac_decoder", "layers.Reshape((height, width,",
                                                     "layers.Reshape((width, height,")],
               must_fail=("test_decoder_shapes", "test_decoder_architecture"),
               misconception="decoder_height_width_swapped"),
    # Part D: sampling
    Submission("std_is_exp_logvar", [Edit("sampling_layer", SAMPLE, "return z_mean + ops.exp(z_log_var) * epsilon")],
               must_fail=("test_sampling",), misconception="std_is_exp_logvar"),
    Submission("noise_fixed_seed", [Edit("sampling_layer", NOISE,
               "epsilon = keras.random.normal(ops.shape(z_mean), seed=1234)")],
               must_fail=("test_sampling",), misconception="noise_drawn_once"),
    Submission("noise_seed_repeated", [Edit("sampling_layer", "self.seed_generator = keras.random.SeedGenerator(seed)",
                                            "self.seed = seed"),
                                       Edit("sampling_layer", NOISE,
                                            "epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed)")],
               must_fail=("test_sampling",), misconception="noise_drawn_once"),
    Submission("noise_static_shape", [Edit("sampling_layer", NOISE,
               "epsilon = keras.random.normal(z_mean.shape, seed=self.seed_generator)")],
               must_fail=("test_sampling",), misconception="noise_shape_not_dynamic"),
    Submission("noise_numpy", [Edit("sampling_layer", NOISE,
               "epsilon = np.random.standard_normal(z_mean.shape).astype('float32')")],
               must_fail=("test_sampling",), misconception="noise_shape_not_dynamic"),
    Submission("noise_one_per_dimension", [Edit("sampling_layer", NOISE,
               "epsilon = keras.random.normal(ops.shape(z_mean)[1:], seed=self.seed_generator)")],
               must_fail=("test_sampling",), misconception="noise_shared"),
    Submission("noise_one_per_row", [Edit("sampling_layer", NOISE,
               "epsilon = keras.random.normal((ops.shape(z_mean)[0], 1), seed=self.seed_generator)")],
               must_fail=("test_sampling",), misconception="noise_shared"),
    Submission("sampling_with_numpy", [Edit("sampling_layer", SAMPLE,
               "return z_mean + np.exp(0.5 * z_log_var) * epsilon")],
               must_fail=("test_sampling", "test_sampling_gradients"), misconception="sampling_with_numpy"),
    # Part E: the losses
    Submission("softmax_before_from_logits_loss", [Edit("losses", CROSS_ENTROPY,
               "keras.losses.categorical_crossentropy(y_true, ops.softmax(logits), from_logits=True)")],
               must_fail=("test_reconstruction_loss_values",), misconception="softmax_before_logits_loss"),
    Submission("from_logits_forgotten", [Edit("losses", CROSS_ENTROPY,
               "keras.losses.categorical_crossentropy(y_true, logits)")],
               must_fail=("test_reconstruction_loss_values",), misconception="cross_entropy_misapplied"),
    Submission("cross_entropy_mean_over_pixels", [Edit("losses", PIXEL_SUM,
               "return ops.mean(per_pixel, axis=(1, 2))")],
               must_fail=("test_reconstruction_loss_values",), misconception="cross_entropy_mean_over_pixels"),
    Submission("cross_entropy_wrong_axis", [Edit("losses", CROSS_ENTROPY, CROSS_ENTROPY[:-1] + ", axis=1)")],
               must_fail=("test_reconstruction_loss_values",), misconception="cross_entropy_misapplied"),
    Submission("kl_mean_over_dimensions", [Edit("losses", "-0.5 * ops.sum(1 +", "-0.5 * ops.mean(1 +")],
               must_fail=("test_kl_values",), misconception="kl_formula"),
    Submission("kl_sign_flipped", [Edit("losses", "return -0.5 * ops.sum(1 +", "return 0.5 * ops.sum(1 +")],
               must_fail=("test_losses_shapes", "test_kl_values"), misconception="kl_sign_flipped"),
    Submission("kl_without_one", [Edit("losses", "ops.sum(1 + z_log_var", "ops.sum(z_log_var")],
               must_fail=("test_losses_shapes", "test_kl_values"), misconception="kl_without_one"),
    Submission("kl_with_numpy", [Edit("losses", "-0.5 * ops.sum(1 +", "-0.5 * np.sum(1 +")],
               must_fail=("test_kl_values",), misconception="kl_with_numpy"),
    Submission("reconstruction_with_numpy", [Edit("losses", PIXEL_SUM, "return np.sum(per_pixel, axis=(1, 2))")],
               must_fail=("test_reconstruction_loss_values",), misconception="reconstruction_with_numpy"),
    Submission("elbo_with_numpy", [Edit("losses", ELBO, ELBO.replace("ops.mean", "np.mean"))],
               must_fail=("test_elbo_values",), misconception="elbo_with_numpy"),
    Submission("beta_renamed", [Edit("losses", "z_log_var, beta):", "z_log_var, kl_weight):"),
                                Edit("losses", "+ beta * kl_divergence", "+ kl_weight * kl_divergence")],
               must_fail=("test_losses_shapes", "test_elbo_values"), misconception="beta_renamed"),
    Submission("elbo_without_kl", [Edit("losses", ELBO, "return ops.mean(reconstruction_loss(y_true, logits))")],
               must_fail=("test_elbo_values",), misconception="elbo_without_kl"),
    Submission("beta_ignored", [Edit("losses", "+ beta * kl_divergence", "+ kl_divergence")],
               must_fail=("test_elbo_values",), misconception="beta_ignored"),
    Submission("elbo_summed_over_batch", [Edit("losses", ELBO, ELBO.replace("ops.mean", "ops.sum"))],
               must_fail=("test_elbo_values",), misconception="elbo_summed_over_batch"),
]

NUMPY_ONE_HOT = '''
N_CLASSES = 4

def one_hot(label_maps):
    """numpy: rows of the identity matrix."""
    return np.eye(N_CLASSES, dtype="float32")[label_maps]
'''

SUBCLASSED_ENCODER = '''
class CardiacEncoder(keras.Model):
    """A subclassed model with one Dense(2 * latent_dim) head split in two."""

    def __init__(self, latent_dim, widths):
        super().__init__()
        self.latent_dim = latent_dim
        self.blocks = []
        for width in widths:
            self.blocks.append(layers.Conv2D(width, 3, strides=2, padding="same", activation="relu"))
            self.blocks.append(layers.Conv2D(width, 3, padding="same", activation="relu"))
        self.flatten = layers.Flatten()
        self.head = layers.Dense(2 * latent_dim)

    def call(self, x):
        for block in self.blocks:
            x = block(x)
        both = self.head(self.flatten(x))
        return [both[:, :self.latent_dim], both[:, self.latent_dim:]]


def build_cardiac_encoder(input_shape, latent_dim, widths):
    return CardiacEncoder(latent_dim, widths)  # unbuilt until first called
'''

SUBCLASSED_DECODER = '''
class CardiacDecoder(keras.Model):
    """A subclassed model upsampling with UpSampling2D + Conv2D."""

    def __init__(self, output_shape, latent_dim, widths):
        super().__init__()
        grid = (output_shape[0] // 16, output_shape[1] // 16, widths[-1])
        self.dense = layers.Dense(grid[0] * grid[1] * grid[2], activation="relu")
        self.reshape = layers.Reshape(grid)
        self.blocks = []
        for channels in (widths[2], widths[1], widths[0]):
            self.blocks += [layers.UpSampling2D(2),
                            layers.Conv2D(channels, 3, padding="same", activation="relu"),
                            layers.Conv2D(channels, 3, padding="same", activation="relu")]
        self.blocks += [layers.UpSampling2D(2), layers.Conv2D(widths[0], 3, padding="same", activation="relu")]
        self.out = layers.Conv2D(output_shape[-1], 3, padding="same")

    def call(self, z):
        x = self.reshape(self.dense(z))
        for block in self.blocks:
            x = block(x)
        return self.out(x)


def build_cardiac_decoder(output_shape, latent_dim, widths):
    return CardiacDecoder(output_shape, latent_dim, widths)  # unbuilt until first called
'''

SEQUENTIAL_ENCODER = '''
def build_cardiac_encoder(input_shape, latent_dim, widths):
    """A Sequential trunk, then one Dense(2 * latent_dim) head split with ops."""
    blocks = []
    for width in widths:
        blocks += [layers.Conv2D(width, (3, 3), strides=(2, 2), padding="same", activation="relu"),
                   layers.Conv2D(width, (3, 3), padding="same", activation="relu")]
    trunk = keras.Sequential([*blocks, layers.Flatten()])
    inputs = keras.Input(shape=input_shape)
    both = layers.Dense(2 * latent_dim)(trunk(inputs))
    z_mean, z_log_var = ops.split(both, 2, axis=-1)
    return keras.Model(inputs, [z_mean, z_log_var])
'''

SAME_PADDING_DECODER = '''
def build_cardiac_decoder(output_shape, latent_dim, widths):
    """Conv2DTranspose with 3x3 kernels and padding="same", in a Sequential model."""
    height, width = output_shape[0] // 16, output_shape[1] // 16
    model = keras.Sequential([keras.Input(shape=(latent_dim,)),
                              layers.Dense(height * width * widths[-1], activation="relu"),
                              layers.Reshape((height, width, widths[-1]))])
    for channels in (widths[2], widths[1], widths[0]):
        model.add(layers.Conv2DTranspose(channels, 3, strides=2, padding="same", activation="relu"))
        model.add(layers.Conv2D(channels, 3, padding="same", activation="relu"))
    model.add(layers.Conv2DTranspose(widths[0], 3, strides=2, padding="same", activation="relu"))
    model.add(layers.Conv2D(4, 3, padding="same"))
    return model
'''

LOG_SOFTMAX_LOSSES = '''
def reconstruction_loss(y_true, logits):
    """log_softmax over the class axis, summed over pixels and classes."""
    return -ops.sum(y_true * ops.log_softmax(logits, axis=-1), axis=(1, 2, 3))


def kl_divergence(z_mean, z_log_var):
    return 0.5 * ops.sum(ops.exp(z_log_var) + z_mean ** 2 - 1.0 - z_log_var, axis=1)


def negative_elbo(y_true, logits, z_mean, z_log_var, beta):
    return ops.mean(reconstruction_loss(y_true, logits)) + beta * ops.mean(kl_divergence(z_mean, z_log_var))
'''

TF_LOSSES = '''
import tensorflow as tf

def reconstruction_loss(y_true, logits):
    """TensorFlow's softmax cross-entropy, summed over pixels."""
    per_pixel = tf.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=logits)
    return tf.reduce_sum(per_pixel, axis=[1, 2])


def kl_divergence(z_mean, z_log_var):
    return -0.5 * tf.reduce_sum(1.0 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var), axis=-1)


def negative_elbo(y_true, logits, z_mean, z_log_var, beta):
    return tf.reduce_mean(reconstruction_loss(y_true, logits) + beta * kl_divergence(z_mean, z_log_var))
'''

ALTERNATIVES = [
    Submission("subclassed_models_numpy_one_hot_log_softmax",
               answers={"one_hot": NUMPY_ONE_HOT, "build_cardiac_encoder": SUBCLASSED_ENCODER,
                        "build_cardiac_decoder": SUBCLASSED_DECODER, "losses": LOG_SOFTMAX_LOSSES}),
    Submission("sequential_models_and_tensorflow_ops",
               answers={"build_cardiac_encoder": SEQUENTIAL_ENCODER, "build_cardiac_decoder": SAME_PADDING_DECODER,
                        "sampling_layer": TF_SAMPLING, "losses": TF_LOSSES}),
]

EQUALITY_ONE_HOT = '''
N_CLASSES = 4

def one_hot(label_maps):
    """Each label compared with every class index."""
    return (np.asarray(label_maps)[..., None] == np.arange(N_CLASSES)).astype("float32")
'''

POOLING_ENCODER = '''
def build_cardiac_encoder(input_shape, latent_dim, widths):
    """Max-pooling after two stride-1 convolutions, instead of a strided convolution."""
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for width in widths:
        x = layers.Conv2D(width, 3, padding="same", activation="relu")(x)
        x = layers.Conv2D(width, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    return keras.Model(inputs, [layers.Dense(latent_dim)(x), layers.Dense(latent_dim)(x)])
'''

UPSAMPLING_LOG_SOFTMAX_DECODER = '''
def build_cardiac_decoder(output_shape, latent_dim, widths):
    """UpSampling2D + Conv2D instead of transposed convolutions; log-probabilities out (valid logits)."""
    height, width = output_shape[0] // 16, output_shape[1] // 16
    inputs = keras.Input(shape=(latent_dim,))
    x = layers.Dense(height * width * widths[3], activation="relu")(inputs)
    x = layers.Reshape((height, width, widths[3]))(x)
    for channels in (widths[2], widths[1], widths[0]):
        x = layers.UpSampling2D(2)(x)
        x = layers.Conv2D(channels, 3, padding="same", activation="relu")(x)
        x = layers.Conv2D(channels, 3, padding="same", activation="relu")(x)
    x = layers.UpSampling2D(2)(x)
    x = layers.Conv2D(widths[0], 3, padding="same", activation="relu")(x)
    return keras.Model(inputs, ops.log_softmax(layers.Conv2D(4, 3, padding="same")(x), axis=-1))
'''

TRAINING_FLAG_SAMPLING = '''
class Sampling(layers.Layer):
    """Random while training (fit passes training=True), the mean otherwise."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        z_mean, z_log_var = inputs
        if not training:
            return z_mean
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon
'''

LOSS_CLASS_LOSSES = '''
def reconstruction_loss(y_true, logits):
    """The Keras loss class without reduction: one cross-entropy per pixel, then a sum per map."""
    per_pixel = keras.losses.CategoricalCrossentropy(from_logits=True, reduction=None)(y_true, logits)
    return ops.sum(ops.reshape(per_pixel, (ops.shape(per_pixel)[0], -1)), axis=1)


def kl_divergence(z_mean, z_log_var):
    variance = ops.exp(z_log_var)
    return 0.5 * ops.sum(variance + ops.square(z_mean) - 1.0 - z_log_var, axis=1)


def negative_elbo(y_true, logits, z_mean, z_log_var, beta):
    return ops.mean(reconstruction_loss(y_true, logits)) + beta * ops.mean(kl_divergence(z_mean, z_log_var))
'''

TO_CATEGORICAL_ONE_HOT = '''
N_CLASSES = 4

def one_hot(label_maps):
    return keras.utils.to_categorical(label_maps, num_classes=N_CLASSES).astype("float32")
'''

BLOCK_LAYER_ENCODER = '''
class DownBlock(layers.Layer):
    """A strided convolution then a convolution, each followed by a ReLU layer."""

    def __init__(self, width, **kwargs):
        super().__init__(**kwargs)
        self.down = layers.Conv2D(width, (3, 3), strides=(2, 2), padding="same")
        self.conv = layers.Conv2D(width, (3, 3), padding="same")
        self.relu = layers.ReLU()

    def call(self, x):
        return self.relu(self.conv(self.relu(self.down(x))))


def build_cardiac_encoder(input_shape, latent_dim, widths):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for width in widths:
        x = DownBlock(width)(x)
    x = layers.Flatten()(x)
    return keras.Model(inputs, [layers.Dense(latent_dim, activation=None)(x), layers.Dense(latent_dim)(x)])
'''

REORDERED_DECODER = '''
class CardiacDecoder(keras.Model):
    """Upsampling + convolutions, ReLU from ops, layers created in another order than they run."""

    def __init__(self, output_shape, latent_dim, widths):
        super().__init__()
        self.last = layers.Conv2D(widths[0], 3, padding="same")
        self.out = layers.Conv2D(output_shape[-1], 3, padding="same")
        self.grid = (output_shape[0] // 16, output_shape[1] // 16, widths[3])
        self.dense = layers.Dense(self.grid[0] * self.grid[1] * self.grid[2])
        self.convolutions = [layers.Conv2D(c, 3, padding="same")
                             for c in (widths[2], widths[2], widths[1], widths[1], widths[0], widths[0])]
        self.up = layers.UpSampling2D(2)

    def call(self, z):
        x = ops.reshape(ops.relu(self.dense(z)), (-1,) + self.grid)
        for first, second in zip(self.convolutions[::2], self.convolutions[1::2]):
            x = ops.relu(second(ops.relu(first(self.up(x)))))
        return self.out(ops.relu(self.last(self.up(x))))


def build_cardiac_decoder(output_shape, latent_dim, widths):
    return CardiacDecoder(output_shape, latent_dim, widths)
'''

ALTERNATIVES += [
    Submission("pooling_upsampling_log_softmax_training_flag",
               answers={"one_hot": EQUALITY_ONE_HOT, "build_cardiac_encoder": POOLING_ENCODER,
                        "build_cardiac_decoder": UPSAMPLING_LOG_SOFTMAX_DECODER,
                        "sampling_layer": TRAINING_FLAG_SAMPLING, "losses": LOSS_CLASS_LOSSES}),
    # the text accepts a log-softmax output: here as the last convolution's activation
    Submission("log_softmax_as_the_last_activation", [Edit(
        "build_cardiac_decoder", 'logits = layers.Conv2D(output_shape[-1], 3, padding="same")(x)',
        'logits = layers.Conv2D(output_shape[-1], 3, padding="same", activation=keras.activations.log_softmax)(x)')]),
    Submission("block_layers_and_reordered_subclass",
               answers={"one_hot": TO_CATEGORICAL_ONE_HOT, "build_cardiac_encoder": BLOCK_LAYER_ENCODER,
                        "build_cardiac_decoder": REORDERED_DECODER}),
]
