from setuptools import setup

setup(name="ragcore", version="0.1.0", packages=["ragcore"])
