"""What a fixture is before it is frozen: a named graph builder plus its input data.

A builder runs inside a fresh tf.Graph, takes a seeded numpy Generator, creates its inputs
with `feed` and its weights with `weight`, and returns a Built. The driver (generate.py) then
initialises, optionally randomises the weights, freezes and records the fixture.
"""

import dataclasses
import typing
import zlib

import numpy as np

from tf_env import tf, v1

BASE_SEED = 1254  # any constant; per-fixture seeds derive from it and the fixture's name


@dataclasses.dataclass
class Built:
    inputs: list  # [(placeholder tf.Tensor, np.ndarray)]
    outputs: list  # [tf.Tensor]
    notes: str = ""


@dataclasses.dataclass
class Case:
    name: str
    build: typing.Callable  # (np.random.Generator) -> Built
    description: str
    network: bool = False  # True: random weights + BN calibration, layer activations only


def case_registry(cases):
    """The `@case(name, description)` decorator of one op family: it appends each decorated
    builder to `cases` (the family's CASES list) and leaves the builder itself unchanged."""

    def case(name, description):
        def register(build):
            cases.append(Case(name=name, build=build, description=description))
            return build

        return register

    return case


def seed_for(name):
    """Stable per-fixture seed: regenerating one fixture never shifts another's data."""
    return (BASE_SEED * 1000003 + zlib.crc32(name.encode())) % (2**32)


class Inputs:
    """Collects placeholders and the arrays fed to them, in creation order."""

    def __init__(self):
        self.items = []

    def feed(self, name, array, shape=None, dtype=tf.float32):
        """Placeholder `name` with declared shape (default: the array's), fed with array."""
        array = np.asarray(array, dtype=dtype.as_numpy_dtype)
        placeholder = v1.placeholder(dtype, array.shape if shape is None else shape, name=name)
        self.items.append((placeholder, array))
        return placeholder


def weight(name, array, dtype=tf.float32):
    """A TF1 reference variable holding array; freezing turns it into Const + `/read`."""
    array = np.asarray(array, dtype=dtype.as_numpy_dtype)
    return v1.get_variable(name, initializer=array, dtype=dtype)
