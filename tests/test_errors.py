"""One error family: every learner-facing error is a LabError and keeps its old builtin base."""

import numpy as np
import pytest

from core.classroom.lessons import LessonError
from core.engine.jobs import LabBusy, SessionBusy
from core.engine.media import MediaError, load_image
from core.engine.video import AnalysisCancelled
from core.errors import Cancelled, DataFileError, LabError
from core.labs.roc import load_eval_scores
from core.labs.spectrum import load_spectrum_model, power_spectrum


def test_every_kind_is_a_lab_error_and_keeps_its_builtin_base():
    for kind, base in ((MediaError, ValueError), (LessonError, ValueError), (DataFileError, ValueError),
                       (LabBusy, RuntimeError), (SessionBusy, RuntimeError)):
        assert issubclass(kind, LabError) and issubclass(kind, base)
    assert issubclass(AnalysisCancelled, Cancelled) and str(AnalysisCancelled()) == "The analysis was cancelled."


def test_bad_media_raises_a_lab_error_with_a_learner_message():
    with pytest.raises(LabError) as err:
        load_image(b"<html>not a picture</html>")
    assert isinstance(err.value, MediaError) and str(err.value)
    with pytest.raises(MediaError, match="too small"):
        power_spectrum(np.zeros((4, 4, 3), np.uint8))


@pytest.mark.parametrize("text", ["path,label,score\nx,2,0.5\n", "path,label,score\nx,1,nan\n", "nope\n"])
def test_broken_eval_scores_are_data_file_errors(tmp_path, text):
    f = tmp_path / "scores.csv"
    f.write_text(text)
    with pytest.raises(DataFileError, match="row|lacks"):
        load_eval_scores(f)
    f.write_bytes(b"path,label,score\n\xff\xfe,1,0.5\n")
    with pytest.raises(DataFileError, match="UTF-8"):
        load_eval_scores(f)


@pytest.mark.parametrize("text", ["{", "[]", '{"format": "deepfake-lab-spectrum", "format_version": 1}'])
def test_broken_spectrum_models_are_data_file_errors(tmp_path, text):
    import json

    from core.labs.spectrum import FORMAT, FORMAT_VERSION

    f = tmp_path / "spectrum.json"
    f.write_text(text.replace('"deepfake-lab-spectrum"', json.dumps(FORMAT)).replace('"format_version": 1',
                 f'"format_version": {FORMAT_VERSION}'))
    with pytest.raises(DataFileError):
        load_spectrum_model(f)
