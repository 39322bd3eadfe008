"""TrainConfig and train.py's flags: validation naming the flag, round trips, and every flagfile."""

import dataclasses
import glob
import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest
from absl import app, flags

from pel_keras.data.sbi import SBIConfig
from pel_keras.training import TrainConfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE4 = {  # flagfile -> (streams, self_enhancement, mutual_enhancement), the rows of the paper's Table 4
    "table4_rgb": ("rgb", False, False),
    "table4_freq": ("freq", False, False),
    "table4_rgb_self_mutual": ("rgb", True, True),
    "table4_freq_self_mutual": ("freq", True, True),
    "table4_two": ("two", False, False),
    "table4_two_self": ("two", True, False),
    "table4_two_mutual": ("two", False, True),
    "table4_full": ("two", True, True),
}
TABLE5 = ("median3", "mean3", "nonlocal_means", "median5", "median7", "multi_median_3_5", "multi_median_3_5_7")


def train_script():
    spec = importlib.util.spec_from_file_location("train_script", os.path.join(ROOT, "train.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_flags(argv):
    """``(train.py's module, its flags parsed from argv)``, from the repository root as flagfiles expect."""
    script, flag_values = train_script(), flags.FlagValues()
    script.define_flags(flag_values)
    flag_values(["train.py", *argv])
    return script, flag_values


def parse(argv):
    """The :class:`TrainConfig` of train.py's flags ``argv``."""
    script, flag_values = parse_flags(argv)
    return script.config_from_flags(flag_values)


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("batch_size", 0, "--batch_size: must be positive"),
        ("learning_rate", float("nan"), "--learning_rate: must be a finite number"),
        ("weight_decay", -1e-5, "--weight_decay: must not be negative"),
        ("epochs", 1.5, "--epochs: must be of type int"),
        ("backbone", "resnet50", "--backbone: must be one of efficientnet_b0"),
        ("weights", "imagenet21k", "--weights: must be one of imagenet, none"),
        ("denoiser", "median9", "--denoiser: must be one of median3"),
        ("dropout", 1.0, "--dropout: must be in [0, 1)"),
        ("self_enhancement", 1, "--self_enhancement: must be of type bool"),
        ("workdir", "", "--workdir: is required"),
        ("image_size", 16, "--image_size: must be at least 32"),
        ("augment_flip", 1.5, "--augment_flip: flip is a probability in [0, 1], got 1.5"),
        ("augment_jpeg_quality_min", 101, "--augment_jpeg_quality_min and --augment_jpeg_quality_max: jpeg_quality"),
        ("augment_blur_sigma_min", 0.0, "--augment_blur_sigma_min and --augment_blur_sigma_max: blur_sigma is a"),
        ("augment_brightness", -0.1, "--augment_brightness: brightness is a share of 255 in [0, 1], got -0.1"),
        ("augment_contrast", 1.0, "--augment_contrast: contrast is in [0, 1)"),
        (
            "augment_blur_sigma_max",
            120.0,
            "--augment_blur_sigma_max: blurs with a radius of 3 sigma, which must be below --image_size=320, got 120.0",
        ),
        ("seed", 2**32, "--seed: must be below 2**32"),
        ("sbi_colour", 1.5, "--sbi_colour: rgb_shift is a probability"),
        ("sbi_scale", 1.0, "--sbi_scale: must be in [0, 1)"),
    ],
)
def test_a_wrong_value_is_refused_naming_its_flag(field, value, expected):
    with pytest.raises(ValueError, match=re.escape(expected)):
        TrainConfig(**{"workdir": "runs/x", field: value})


def test_sbi_flags_make_the_generator_settings():
    sbi = TrainConfig(workdir="runs/x", sbi=True, sbi_colour=0.8, sbi_scale=0.1).sbi_config()
    assert (sbi.rgb_shift, sbi.hsv_shift, sbi.brightness_contrast) == (0.8, 0.8, 0.8)
    assert sbi.scale == pytest.approx((0.9, 1.1))
    default = TrainConfig(workdir="runs/x").sbi_config()
    assert default == SBIConfig()  # the flags' defaults are SBI's own


def test_json_and_flagfile_round_trips(tmp_path):
    config = TrainConfig(
        workdir=str(tmp_path),
        dropout=0.25,
        mixed_precision=True,
        self_enhancement=False,
        learning_rate=3e-5,
        augment_blur_sigma_max=1.5,
    )
    assert TrainConfig.from_json(config.to_json()) == config
    flagfile = tmp_path / "flags.txt"
    flagfile.write_text(config.to_flags())
    assert parse([f"--flagfile={flagfile}"]) == config
    with pytest.raises(ValueError, match="unknown training settings"):
        TrainConfig.from_json(config.to_json().replace('"seed"', '"sed"'))


def test_paper_flagfiles_hold_section_4_1_and_later_flags_override(monkeypatch):
    monkeypatch.chdir(ROOT)
    config = parse(["--flagfile=ffpp.flags"])
    assert (config.backbone, config.weights, config.image_size, config.batch_size) == (
        "efficientnet_b4",
        "imagenet",
        320,
        32,
    )
    assert (config.learning_rate, config.weight_decay, config.frames, config.train_dataset) == (
        2e-4,
        1e-5,
        50,
        "ffpp_c40",
    )
    assert config.augment_config().flip == config.augment_config().jpeg == 0
    assert parse(["--flagfile=ffpp.flags", "--batch_size=64"]).batch_size == 64
    hq, wild = parse(["--flagfile=configs/ffpp_hq.flags"]), parse(["--flagfile=configs/wilddeepfake.flags"])
    assert (hq.train_dataset, hq.image_size, hq.workdir) == ("ffpp_c23", 320, "runs/ffpp_c23")
    assert (wild.train_dataset, wild.image_size, wild.workdir) == ("wilddeepfake", 224, "runs/wilddeepfake")


def test_every_ablation_flagfile_is_its_table_row(monkeypatch):
    monkeypatch.chdir(ROOT)
    names = sorted(
        os.path.basename(p)[: -len(".flags")] for p in glob.glob(os.path.join(ROOT, "configs", "ablations", "*.flags"))
    )
    assert names == sorted([*TABLE4, *(f"table5_{d}" for d in TABLE5)])
    paper = parse(["--flagfile=ffpp.flags"])
    for name in names:
        config = parse([f"--flagfile=configs/ablations/{name}.flags"])
        row = TABLE4.get(name, ("two", True, True))
        assert (config.streams, config.self_enhancement, config.mutual_enhancement) == row, name
        assert config.denoiser == (name[len("table5_") :] if name.startswith("table5") else "median3"), name
        assert config.workdir == f"runs/ablations/{name}"
        assert (
            dataclasses.replace(
                config,
                streams="two",
                self_enhancement=True,
                mutual_enhancement=True,
                denoiser="median3",
                workdir=paper.workdir,
            )
            == paper
        ), name


def test_parsing_errors_name_the_flag():
    with pytest.raises(app.UsageError, match="--frames: must be positive"):
        parse(["--workdir=x", "--frames=0"])
    with pytest.raises(flags.IllegalFlagValueError, match="streams"):
        parse(["--workdir=x", "--streams=three"])


def test_train_py_refuses_bad_values_and_missing_data_before_writing(tmp_path):
    def run(*argv):
        return subprocess.run([sys.executable, "train.py", *argv], cwd=ROOT, capture_output=True, text=True)

    bad = run("--flagfile=ffpp.flags", f"--workdir={tmp_path / 'run'}", "--batch_size=-1")
    assert bad.returncode != 0 and "--batch_size: must be positive" in bad.stderr
    missing = run("--flagfile=ffpp.flags", f"--workdir={tmp_path / 'run'}", f"--data_dir={tmp_path / 'nowhere'}")
    assert missing.returncode != 0 and "--data_dir: no folder" in missing.stderr
    assert not (tmp_path / "run").exists()
    nosbi = run("--flagfile=demo.flags", "--nosbi", f"--data_dir={tmp_path / 'demo'}", f"--workdir={tmp_path / 'd'}")
    assert (
        nosbi.returncode == 2 and "--demo: the demo's training split holds real faces only; add --sbi" in nosbi.stderr
    )
    alone = run("--flagfile=ffpp.flags", f"--workdir={tmp_path / 'run'}", f"--real_dir={tmp_path}")
    assert alone.returncode == 2 and "--real_dir: adds faces to the demo data; it needs --demo" in alone.stderr
    assert not any((tmp_path / name).exists() for name in ("run", "d", "demo"))


def test_a_runs_config_json_from_before_the_demo_left_the_trainer_still_resumes():
    stored = json.loads(TrainConfig(workdir="runs/x").to_json())
    assert "demo" not in stored and "real_dir" not in stored
    older = json.dumps({**stored, "demo": False, "real_dir": ""})
    assert TrainConfig.from_json(older) == TrainConfig(workdir="runs/x")
    with pytest.raises(ValueError, match=r"unknown training settings \['colour'\]"):
        TrainConfig.from_json(json.dumps({**stored, "colour": 1}))
    with pytest.raises(ValueError, match="a JSON list, not an object"):
        TrainConfig.from_json("[1, 2]")


def test_demo_flagfile_is_a_small_self_blended_pel_that_needs_no_download(monkeypatch):
    monkeypatch.chdir(ROOT)
    script, flag_values = parse_flags(["--flagfile=demo.flags"])
    config = script.config_from_flags(flag_values)
    assert flag_values.demo and config.sbi and not config.sbi_keep_fakes
    assert (config.backbone, config.weights, config.streams) == ("efficientnet_tiny", "none", "two")
    assert config.self_enhancement and config.mutual_enhancement and config.image_size <= 96
