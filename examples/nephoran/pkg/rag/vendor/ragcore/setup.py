from setuptools import Extension, setup

# A C extension built from source on the target platform (installStrategy TARGET, with gcc from
# buildPackages), linked with OpenMP: libgomp1 comes from runtimePackages.
setup(
    name="ragcore",
    version="0.1.0",
    packages=["ragcore"],
    ext_modules=[
        Extension("ragcore._native", ["ragcore/_native.c"], extra_compile_args=["-fopenmp"], extra_link_args=["-fopenmp"]),
    ],
)
