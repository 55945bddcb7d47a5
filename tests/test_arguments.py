import argparse

import pytest

from lda_model.arguments import positive_int


def test_positive_int_takes_whole_numbers_from_one():
    assert positive_int("1") == 1 and positive_int("64") == 64


@pytest.mark.parametrize("text, message", [("0", "at least 1, got 0"), ("-5", "at least 1, got -5"),
                                           ("2.5", "not a whole number"), ("two", "not a whole number")])
def test_positive_int_refuses_the_rest_with_a_usage_message(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        positive_int(text)
