"""TFRecord shards of a preparation made from real videos: what they hold, the examples the pipeline reads
from them against those of the PNG folder, their split across workers, the converter and stale shards."""

import collections
import json
import os
import shutil

import data_layouts
import numpy as np
import pytest
import tensorflow as tf
from full_disk import fill, tiny_filesystem
from killed_writer import snapshot
from training_data import write_dataset

from pel_keras.data.convert_shards import convert
from pel_keras.data.example_images import read_crop
from pel_keras.data.manifest import COLUMNS, csv_text, read_manifest, read_split, select_frames
from pel_keras.data.pipeline import AugmentConfig, build_dataset
from pel_keras.data.prepare import PrepareConfig, prepare
from pel_keras.data.shards import index_path, read_index
from pel_keras.data.tfrecord_example import parse_example
from pel_keras.files.atomic import TEMPORARY_SUFFIX
from pel_keras.testing.scripts import run_script

SIZE, PER_SHARD = 64, 3
CONVERT_SHARDS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "convert_shards.py")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """FF++ layout (4 fakes per real), 2 frames per video, 64-pixel crops, PNG and 3 crops per shard."""
    tmp = tmp_path_factory.mktemp("ffpp")
    raw = data_layouts.make_ffpp(tmp / "raw", data_layouts.Clips(tmp / "clips", num_frames=4))
    config = PrepareConfig(
        dataset="ffpp",
        input=str(raw),
        output=str(tmp / "out"),
        frames=2,
        size=SIZE,
        workers=1,
        format="tfrecord",
        examples_per_shard=PER_SHARD,
    )
    assert prepare(config).shards == 3 * (2 + 6)  # each split: 4 real and 16 fake rows, 3 per shard
    return str(tmp / "out" / "ffpp_c23")


def records(out_dir):
    """``{path: parsed example}`` of every record in the shards of ``out_dir``, and ``{path: shard file}``."""
    found, where = {}, {}
    for shard in read_index(index_path(out_dir))["shards"]:
        for serialized in tf.data.TFRecordDataset(shard["file"]):
            example = {k: v.numpy() for k, v in parse_example(serialized).items()}
            path = example["path"].decode()
            assert path not in found
            found[path], where[path] = example, shard
    return found, where


def test_shards_hold_every_rows_fields_and_the_png_files_bytes(prepared):
    rows = read_manifest(os.path.join(prepared, "manifest.csv"))
    found, where = records(prepared)
    assert sorted(found) == sorted(row["path"] for row in rows)
    for row in rows:
        example, shard = found[row["path"]], where[row["path"]]
        with open(os.path.join(prepared, row["path"]), "rb") as f:
            assert example["image"] == f.read()
        assert (example["label"], example["video"].decode(), example["frame"]) == (
            row["label"],
            row["video"],
            row["frame"],
        )
        assert (example["split"].decode(), example["source"].decode()) == (row["split"], row["source"])
        assert (shard["split"], shard["label"]) == (row["split"], row["label"])
        np.testing.assert_allclose(example["box"], [float(v) for v in row["box"].split()], rtol=1e-6)
        np.testing.assert_allclose(example["landmarks"], [float(v) for v in row["landmarks"].split()], rtol=1e-6)
    counts = collections.Counter((s["split"], s["label"]) for s in read_index(index_path(prepared))["shards"])
    assert counts == {(split, label): (2, 6)[label] for split in ("train", "val", "test") for label in (0, 1)}


def examples(dataset):
    """``{path: (image, label, video)}`` of a dataset built with ``with_ids``."""
    found = {}
    for images, labels, ids in dataset:
        for image, label, video, path in zip(images.numpy(), labels.numpy(), ids["video"].numpy(), ids["path"].numpy()):
            assert path not in found
            found[path.decode()] = (image, float(label[0]), video.decode())
    return found


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_one_pass_reads_the_same_examples_from_shards_as_from_the_png_folder(prepared, split):
    manifest = os.path.join(prepared, "manifest.csv")
    png = examples(build_dataset(manifest, split, SIZE, 5, with_ids=True))
    sharded = examples(build_dataset(manifest, split, SIZE, 5, with_ids=True, records=index_path(prepared)))
    assert sorted(sharded) == sorted(png) and len(png) == len(read_split(manifest, split))
    for path, (image, label, video) in png.items():
        np.testing.assert_array_equal(sharded[path][0], image)
        assert sharded[path][1:] == (label, video)


def run_manifest(prepared, folder, frames):
    """A run's manifest as train.py writes one: ``frames`` rows per video of train, absolute paths."""
    rows = select_frames(read_split(os.path.join(prepared, "manifest.csv"), "train"), frames)
    path = os.path.join(folder, "manifest.csv")
    with open(path, "w") as f:
        f.write(csv_text(COLUMNS, rows))
    return path, rows


def test_training_from_shards_keeps_to_the_run_manifest_balances_and_is_seeded(prepared, tmp_path):
    manifest, rows = run_manifest(prepared, str(tmp_path), frames=1)
    labels = {row["path"]: row["label"] for row in rows}

    def batches(seed, config=None):
        dataset = build_dataset(
            manifest, "train", SIZE, 8, training=True, seed=seed, with_ids=True, augment_config=config,
            records=index_path(prepared),
        )  # fmt: skip
        return [(x.numpy(), y.numpy(), [p.decode() for p in ids["path"].numpy()]) for x, y, ids in dataset.take(20)]

    drawn = batches(3, AugmentConfig.off())
    paths = [path for _, _, batch_paths in drawn for path in batch_paths]
    assert set(paths) == set(labels)  # every selected frame drawn, and only those (the other frame of each video not)
    assert abs(np.mean([y for _, y, _ in drawn]) - 0.5) < 0.1  # 160 draws 1:1, not the rows' 4:1
    for images, batch_labels, batch_paths in drawn[:2]:
        for image, label, path in zip(images, batch_labels, batch_paths):
            np.testing.assert_array_equal(image, read_crop(path, SIZE)[0])
            assert label[0] == labels[path]
    again, other = batches(3, AugmentConfig.off()), batches(4, AugmentConfig.off())
    assert all(np.array_equal(a[0], b[0]) and a[2] == b[2] for a, b in zip(drawn, again))
    assert [b[2] for b in other] != [b[2] for b in drawn]


def test_workers_read_whole_files_or_every_nth_example_where_files_are_fewer(prepared):
    manifest, index = os.path.join(prepared, "manifest.csv"), index_path(prepared)
    _, where = records(prepared)

    def worker_paths(split, shard_index, num_shards):
        dataset = build_dataset(
            manifest, split, SIZE, 4, with_ids=True, records=index, num_shards=num_shards, shard_index=shard_index
        )
        return [os.path.relpath(p.decode(), prepared) for _, _, ids in dataset for p in ids["path"].numpy()]

    train = [worker_paths("train", k, 2) for k in range(2)]
    assert not set(train[0]) & set(train[1])
    assert sorted(train[0] + train[1]) == sorted(p for p, s in where.items() if s["split"] == "train")
    files = [{where[p]["file"] for p in part} for part in train]
    assert not files[0] & files[1] and len(files[0]) == len(files[1]) == 4  # 2 real and 6 fake files, halved
    val = [worker_paths("val", k, 3) for k in range(3)]  # 3 workers: 2 real files, by example; 6 fake ones, by file
    assert sorted(sum(val, [])) == sorted(p for p, s in where.items() if s["split"] == "val")
    assert all(val) and not set(val[0]) & set(val[1])


def test_the_converter_writes_the_same_shards_as_prepare_and_drops_old_ones(prepared, tmp_path):
    copy = str(tmp_path / "ffpp_c23")
    shutil.copytree(prepared, copy, ignore=shutil.ignore_patterns("tfrecord"))
    result = run_script(CONVERT_SHARDS, f"--data={copy}", f"--examples_per_shard={PER_SHARD}")
    assert result.returncode == 0, result.stderr
    assert "60 crops in 24 shards" in result.stdout
    for name in os.listdir(os.path.join(prepared, "tfrecord")):
        with (
            open(os.path.join(prepared, "tfrecord", name), "rb") as a,
            open(os.path.join(copy, "tfrecord", name), "rb") as b,
        ):
            assert a.read() == b.read(), name
    assert len(convert(copy, examples_per_shard=100)) == 6
    assert len(os.listdir(os.path.join(copy, "tfrecord"))) == 6 + 1
    assert json.load(open(index_path(copy)))["examples_per_shard"] == 100


def test_a_missing_crop_stale_or_cut_shards_are_refused_by_name(prepared, tmp_path):
    copy = str(tmp_path / "ffpp_c23")
    shutil.copytree(prepared, copy)
    index = read_index(index_path(copy))
    shard = index["shards"][0]["file"]
    with open(shard, "r+b") as f:
        f.truncate(100)
    with pytest.raises(ValueError, match=f"{shard}: 100 bytes, the index says"):
        build_dataset(os.path.join(copy, "manifest.csv"), "train", SIZE, 4, records=index_path(copy))
    with open(os.path.join(copy, "manifest.csv"), "a") as f:
        f.write("crops/youtube/071/000002.png,0,youtube/071,train,youtube,2,,,\n")
    with pytest.raises(ValueError, match="the shards were made from another .*manifest.csv.*convert_shards.py"):
        read_index(index_path(copy))
    result = run_script(CONVERT_SHARDS, f"--data={copy}")
    assert result.returncode == 2
    assert f"{copy}/crops/youtube/071/000002.png: missing or not a whole PNG" in result.stderr


def test_prepare_writes_shards_once_every_shard_of_the_run_is_done(tmp_path):
    clips = data_layouts.Clips(tmp_path / "clips", num_frames=3)
    raw = data_layouts.make_ffpp(tmp_path / "raw", clips, methods=("Deepfakes",))
    common = dict(dataset="ffpp", input=str(raw), output=str(tmp_path / "out"), methods=("Deepfakes",), frames=1)
    common.update(size=32, workers=1)
    first = prepare(PrepareConfig(**common, format="tfrecord", shard=(1, 2)))
    assert first.done > 0 and first.shards == 0 and not os.path.exists(tmp_path / "out/ffpp_c23/tfrecord")
    second = prepare(PrepareConfig(**common, format="tfrecord", shard=(2, 2)))
    assert second.done > 0 and second.shards == 6  # one per split and class
    assert sum(s["examples"] for s in read_index(index_path(str(tmp_path / "out/ffpp_c23")))["shards"]) == 12


def test_a_full_disk_keeps_the_shards_there_before(tmp_path):
    with tiny_filesystem(kilobytes=256) as disk:
        data = os.path.join(disk, "toy")
        write_dataset(disk, size=16, splits={"train": 2, "val": 1, "test": 1})
        convert(data, examples_per_shard=8)
        before = snapshot(os.path.join(data, "tfrecord"))
        fill(disk, leave_bytes=4096)
        result = run_script(CONVERT_SHARDS, f"--data={data}", "--examples_per_shard=2")
        assert result.returncode == 1, result.stderr
        assert (
            result.stderr.strip()
            .splitlines()[-1]
            .startswith(f"convert_shards.py: no space left on the device holding {data}")
        )
        assert snapshot(os.path.join(data, "tfrecord")) == before
        assert not [name for name in os.listdir(data) if TEMPORARY_SUFFIX in name]


def test_the_converter_names_a_folder_without_a_manifest(tmp_path):
    result = run_script(CONVERT_SHARDS, f"--data={tmp_path}")
    assert result.returncode == 2
    assert f"{tmp_path}/manifest.csv does not exist: prepare the dataset first" in result.stderr
