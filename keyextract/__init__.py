"""keyextract: keyword and keyphrase extraction with transformer embeddings (English, Chinese and
some 50 other languages, keyextract.languages).

>>> from keyextract import KeywordExtractor
>>> extractor = KeywordExtractor()            # loads nothing yet
>>> extractor.extract(text, top_n=5)          # [Keyword(phrase=..., score=..., spans=...), ...]
>>> extractor.extract(read_document("paper.pdf"))   # PDF, Word, Markdown, HTML or text files
>>> highlight_html(text, keywords)            # the text as HTML, its keyphrases in <mark>
"""

from .documents import Document, read_document
from .errors import InputError, KeyextractError, ModelLoadError
from .evaluation import Evaluation, evaluate
from .extractor import DEFAULT_MODELS, KeywordExtractor, extract_keywords
from .highlight import highlight_ansi, highlight_html, html_page
from .types import Keyword, PageSpan

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODELS",
    "Document",
    "Evaluation",
    "InputError",
    "KeyextractError",
    "Keyword",
    "KeywordExtractor",
    "ModelLoadError",
    "PageSpan",
    "__version__",
    "evaluate",
    "extract_keywords",
    "highlight_ansi",
    "highlight_html",
    "html_page",
    "read_document",
]
