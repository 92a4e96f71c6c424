"""keyextract: keyword and keyphrase extraction with transformer embeddings (English, Chinese and
some 50 other languages, keyextract.languages).

>>> from keyextract import KeywordExtractor
>>> extractor = KeywordExtractor()            # loads nothing yet
>>> extractor.extract(text, top_n=5)          # [Keyword(phrase=..., score=..., spans=...), ...]
"""

from .errors import InputError, KeyextractError, ModelLoadError
from .evaluation import Evaluation, evaluate
from .extractor import DEFAULT_MODELS, KeywordExtractor, extract_keywords
from .types import Keyword

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODELS",
    "Evaluation",
    "InputError",
    "KeyextractError",
    "Keyword",
    "KeywordExtractor",
    "ModelLoadError",
    "__version__",
    "evaluate",
    "extract_keywords",
]
