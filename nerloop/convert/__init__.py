"""Converters between our record and the formats at the edges.

One module per format; each is a set of small typed functions over
:class:`~nerloop.records.TaggedQuery`. ``hf`` imports ``datasets`` lazily.
"""

from nerloop.convert.alpaca import dataset_info, record_to_alpaca
from nerloop.convert.bio import bio_labels, bio_to_entities, record_to_bio
from nerloop.convert.errors import ConvertError, OverlapError, SpanMismatch, XmlParseError
from nerloop.convert.hf import dataset_to_records, records_to_dataset
from nerloop.convert.label_studio import annotation_to_entities, labeling_config, record_to_task
from nerloop.convert.xml import record_to_xml, xml_to_entities

__all__ = [
    "ConvertError",
    "OverlapError",
    "SpanMismatch",
    "XmlParseError",
    "annotation_to_entities",
    "bio_labels",
    "bio_to_entities",
    "dataset_info",
    "dataset_to_records",
    "labeling_config",
    "record_to_alpaca",
    "record_to_bio",
    "record_to_task",
    "record_to_xml",
    "records_to_dataset",
    "xml_to_entities",
]
