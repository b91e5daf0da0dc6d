"""Tagging with a trained model: a model directory turned into a tagger, its combination with the gazetteer
matcher, span calibration and explanation.

Layering: ``inference`` sits above ``gazetteers``, ``generator`` and ``trainer`` (nothing below
imports it) and below ``active_learning`` and the CLI. Importing the package needs no torch;
opening a model directory imports its backend.
"""
