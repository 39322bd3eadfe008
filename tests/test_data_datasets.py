"""Dataset readers: labels, splits, ids and clear errors for every official layout."""

import collections
import os
import re

import data_layouts
import pytest

from pel_keras.data.datasets import Record, check_ids, dataset_tag, read_dataset
from pel_keras.data.datasets.ffpp import official_splits, read_pairs


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return data_layouts.Clips(tmp_path_factory.mktemp("clips"), num_frames=2)


def counts(records):
    return collections.Counter((r.split, r.label) for r in records)


def test_official_ffpp_splits_cover_1000_videos_and_their_pairs():
    splits = official_splits()
    reals = [k for k in splits if "_" not in k]
    assert len(reals) == 1000 and sorted(reals) == [f"{i:03d}" for i in range(1000)]
    assert collections.Counter(splits[k] for k in reals) == {"train": 720, "val": 140, "test": 140}
    assert splits["071_054"] == splits["054_071"] == splits["071"] == "train"


def test_ffpp_labels_splits_ids_and_methods(tmp_path, clips):
    root = data_layouts.make_ffpp(
        tmp_path, clips, "c40", methods=("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures", "FaceShifter")
    )
    records = read_dataset("ffpp", str(root), compression="c40")
    assert counts(records) == {(s, 0): 2 for s in ("train", "val", "test")} | {
        (s, 1): 8 for s in ("train", "val", "test")
    }
    assert {r.source for r in records} == {"youtube", "Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures"}
    by_id = {r.video: r for r in records}
    assert by_id["Deepfakes/953_974"].split == "test" and by_id["Deepfakes/953_974"].label == 1
    assert by_id["youtube/720"].split == "val" and by_id["youtube/720"].label == 0
    assert len(by_id) == len(records)
    with_shifter = read_dataset("ffpp", str(root), compression="c40", methods=("FaceShifter",))
    assert collections.Counter(r.source for r in with_shifter) == {"youtube": 6, "FaceShifter": 6}
    assert dataset_tag("ffpp", str(root), "c40") == "ffpp_c40"


def test_ffpp_missing_folder_and_unknown_id(tmp_path, clips, caplog):
    root = data_layouts.make_ffpp(tmp_path, clips, methods=("Deepfakes",))
    with pytest.raises(FileNotFoundError, match=r"manipulated_sequences/Face2Face/c23/videos"):
        read_dataset("ffpp", str(root))
    with pytest.raises(FileNotFoundError, match=r"original_sequences/youtube/c40/videos"):
        read_dataset("ffpp", str(root), compression="c40", methods=("Deepfakes",))
    data_layouts.put(clips.face, os.path.join(root, "original_sequences/youtube/c23/videos/extra.mp4"))
    records = read_dataset("ffpp", str(root), methods=("Deepfakes",))
    assert "youtube/extra" not in {r.video for r in records} and "extra" in caplog.text


def test_dfd_is_test_only(tmp_path, clips):
    records = read_dataset("dfd", str(data_layouts.make_dfd(tmp_path, clips)))
    assert counts(records) == {("test", 0): 2, ("test", 1): 3}
    assert "DeepFakeDetection/01_02__exit_phone_room__YVGY8LOK" in {r.video for r in records}


def test_celebdf_inverts_the_test_list_flag(tmp_path, clips):
    records = read_dataset("celebdf", str(data_layouts.make_celebdf(tmp_path, clips)))
    by_id = {r.video: r for r in records}
    # Listed with flag 1 (= real in Celeb-DF's convention): label 0 here; flag 0: label 1.
    assert by_id["Celeb-real/id0_0000"].label == 0 and by_id["Celeb-real/id0_0000"].split == "test"
    assert by_id["Celeb-synthesis/id0_id1_0000"].label == 1 and by_id["Celeb-synthesis/id0_id1_0000"].split == "test"
    assert by_id["Celeb-synthesis/id0_id2_0002"].split == "train"
    assert counts(records) == {("test", 0): 2, ("test", 1): 2, ("train", 0): 2, ("train", 1): 1}


def test_celebdf_errors_name_the_file(tmp_path, clips):
    root = data_layouts.make_celebdf(tmp_path, clips)
    test_list = os.path.join(root, "List_of_testing_videos.txt")
    with open(test_list, "a") as f:
        f.write("1 Celeb-synthesis/id1_id0_0001.mp4\n")  # a fake listed as real
    with pytest.raises(ValueError, match="Celeb-synthesis/id1_id0_0001.mp4"):
        read_dataset("celebdf", str(root))
    with open(test_list, "w") as f:
        f.write("real Celeb-real/id0_0000.mp4\n")
    with pytest.raises(ValueError, match=r"List_of_testing_videos.txt:1"):
        read_dataset("celebdf", str(root))
    os.remove(test_list)
    with pytest.raises(FileNotFoundError, match="List_of_testing_videos.txt"):
        read_dataset("celebdf", str(root))


def test_dfdc_parts_test_labels_and_val_by_original(tmp_path, clips):
    # With val_fraction 0.5 some originals land in val; every fake follows its original.
    originals = tuple(f"r{i}.mp4" for i in range(8))
    root = data_layouts.make_dfdc(tmp_path, clips, originals)
    records = read_dataset("dfdc", str(root), val_fraction=0.5)
    by_id = {r.video: r for r in records}
    part = {o: f"dfdc_train_part_{int(i >= 4)}" for i, o in enumerate(originals)}
    splits = {by_id[f"{part[o]}/{o[:-4]}"].split for o in originals}
    assert splits == {"train", "val"}
    for o in originals:
        assert by_id[f"{part[o]}/fake_{o[:-4]}"].split == by_id[f"{part[o]}/{o[:-4]}"].split
        assert by_id[f"{part[o]}/fake_{o[:-4]}"].label == 1 and by_id[f"{part[o]}/{o[:-4]}"].label == 0
    assert {(v, by_id[v].label, by_id[v].split) for v in by_id if v.startswith("test/")} == {
        ("test/t0", 0, "test"),
        ("test/t1", 1, "test"),
        ("test/t2", 1, "test"),
    }


def test_dfdc_missing_metadata_is_a_clear_error(tmp_path, clips):
    with pytest.raises(FileNotFoundError, match="metadata.json"):
        read_dataset("dfdc", str(tmp_path))
    root = data_layouts.make_dfdc(tmp_path, clips)
    os.remove(os.path.join(root, "dfdc_train_part_1", "metadata.json"))
    with pytest.raises(FileNotFoundError, match=r"dfdc_train_part_1/metadata.json"):
        read_dataset("dfdc", str(root))


def test_dfdcp_labels_sets_and_val_by_id(tmp_path, clips, caplog):
    # Many ids so that val_fraction 0.5 puts some in val; every clip of an id follows it.
    entries = data_layouts.DFDCP_CLIPS + tuple(
        (f"{folder}/30000{i}/30000{i}_A/{name}.mp4", label, "train")
        for i in range(8)
        for folder, name, label in (("original_videos", f"r{i}", "real"), ("method_A", f"f{i}", "fake"))
    )
    root = data_layouts.make_dfdcp(tmp_path, clips, entries)
    records = read_dataset("dfdcp", str(root), val_fraction=0.5)
    by_id = {r.video: r for r in records}
    assert len(by_id) == len(entries) and dataset_tag("dfdcp", str(root)) == "dfdcp"
    for key, label, split in entries:
        record = by_id[key[:-4]]
        assert record.path == os.path.join(str(root), key) and record.label == (label == "fake")
        assert record.source == key.split("/")[0] and (record.split == "test") == (split == "test")
    by_group = collections.defaultdict(set)
    for record in records:
        by_group[record.video.split("/")[1]].add(record.split)
    assert all(len(splits) == 1 for splits in by_group.values())
    assert {s for (s,) in by_group.values()} == {"train", "val", "test"}
    os.remove(os.path.join(root, entries[0][0]))
    assert len(read_dataset("dfdcp", str(root))) == len(entries) - 1
    assert f"lists {os.path.join(str(root), entries[0][0])}, which does not exist" in caplog.text


def test_dfdcp_bad_index_names_the_file_and_the_entry(tmp_path, clips):
    with pytest.raises(FileNotFoundError, match="DFDC preview index not found: expected .*dataset.json"):
        read_dataset("dfdcp", str(tmp_path))
    root = data_layouts.make_dfdcp(tmp_path, clips)
    index = tmp_path / "dataset.json"
    for content, problem in (
        ("[]", "holds a JSON list, expected an object"),
        ('{"method_A/1/x.mp4": {"label": "FAKE", "set": "test"}}', "method_A/1/x.mp4 has .* label real or fake"),
        ('{"method_A/1/x.mp4": {"label": "fake", "set": "val"}}', "and set train or test"),
        ('{"../x.mp4": {"label": "fake", "set": "test"}}', "'../x.mp4' is not a clip path below the root"),
    ):
        index.write_text(content)
        with raises_naming(index, problem):
            read_dataset("dfdcp", str(root))


def test_wilddeepfake_sequences_and_val_carved_by_sequence(tmp_path):
    root = data_layouts.make_wilddeepfake(tmp_path, sequences_per_folder=10, frames=1, size=8)
    records = read_dataset("wilddeepfake", str(root), val_fraction=0.3)
    assert len(records) == 40 and len({r.video for r in records}) == 40
    assert {r.split for r in records if "_test/" in r.video} == {"test"}
    assert {r.split for r in records if "_train/" in r.video} == {"train", "val"}
    assert all(os.path.isdir(r.path) and r.label == r.video.startswith("fake") for r in records)
    os.rename(os.path.join(root, "fake_test"), os.path.join(root, "elsewhere"))
    with pytest.raises(FileNotFoundError, match="fake_test"):
        read_dataset("wilddeepfake", str(root))


def test_folder_dataset_both_layouts(tmp_path, clips):
    flat = tmp_path / "mine"
    data_layouts.put(clips.face, str(flat / "real" / "a.mp4"))
    data_layouts.put(clips.hopper, str(flat / "fake" / "b.mp4"))
    data_layouts.make_wilddeepfake(tmp_path / "w", sequences_per_folder=1, frames=2, size=8)
    os.rename(tmp_path / "w" / "fake_test" / "0" / "0", flat / "fake" / "seq")
    os.rename(tmp_path / "w" / "real_test" / "0" / "0" / "0000.png", flat / "real" / "photo.png")
    records = read_dataset("folder", str(flat))
    assert sorted((r.video, r.label, r.split) for r in records) == [
        ("fake/b.mp4", 1, "test"),
        ("fake/seq", 1, "test"),
        ("real/a.mp4", 0, "test"),
        ("real/photo.png", 0, "test"),
    ]
    assert dataset_tag("folder", str(flat)) == "mine"
    split = tmp_path / "split"
    data_layouts.put(clips.face, str(split / "train" / "real" / "a.mp4"))
    data_layouts.put(clips.hopper, str(split / "val" / "fake" / "b.mp4"))
    assert sorted((r.video, r.split) for r in read_dataset("folder", str(split))) == [
        ("train/real/a.mp4", "train"),
        ("val/fake/b.mp4", "val"),
    ]
    with pytest.raises(FileNotFoundError, match="real"):
        read_dataset("folder", str(tmp_path / "w" / "real_train"))


def test_nested_or_repeated_ids_are_refused(tmp_path, clips):
    root = tmp_path / "mine"
    data_layouts.make_wilddeepfake(tmp_path / "w", sequences_per_folder=1, frames=1, size=8)
    (root / "real").mkdir(parents=True)
    os.rename(tmp_path / "w" / "real_test" / "0" / "0", root / "real" / "seq")  # a folder of frames...
    data_layouts.put(clips.face, str(root / "real" / "seq" / "inside.mp4"))  # ...holding a video too
    with pytest.raises(ValueError, match=r"video id 'real/seq' .* is also a folder"):
        read_dataset("folder", str(root))
    with pytest.raises(ValueError, match="given to both a.mp4 and b.mp4"):
        check_ids([Record("a.mp4", 0, "test", "x", "s"), Record("b.mp4", 1, "test", "x", "s")])


def raises_naming(path, problem):
    return pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + problem)


def test_a_corrupt_split_list_names_the_file_and_the_problem(tmp_path):
    path = tmp_path / "train.json"
    for content, problem in (
        ('[["071", "054"], ["720"', "not valid JSON: Expecting .,. delimiter at line 1 column 24"),
        ('{"071": "054"}', "holds a JSON dict, expected a list"),
        ('[["071", "054"], ["720"]]', re.escape("holds ['720'], expected pairs of ids")),
    ):
        path.write_text(content)
        with raises_naming(path, problem):
            read_pairs(path)
    path.write_text('[["071", "054"]]')
    assert read_pairs(path) == [["071", "054"]]


def test_corrupt_dfdc_metadata_and_labels_name_the_file_and_the_problem(tmp_path, clips):
    root = data_layouts.make_dfdc(tmp_path, clips)
    meta = tmp_path / "dfdc_train_part_0" / "metadata.json"
    whole = meta.read_bytes()
    for content, problem in (
        (whole[:-3], "is not valid JSON: .* at line 1 column"),
        (b"[]", "holds a JSON list, expected an object"),
        (b'{"real_a.mp4": "REAL"}', "real_a.mp4 has 'REAL', expected an object with label"),
        (b'{"real_a.mp4": {"label": "REAL", "original": 7}}', "has original 7"),
        (b"\xff\xd8\xff\xe0 a JPEG", "is not UTF-8 text"),
    ):
        meta.write_bytes(content)
        with raises_naming(meta, problem):
            read_dataset("dfdc", str(root))
    meta.unlink()
    meta.mkdir()
    with raises_naming(meta, "cannot be read: Is a directory"):
        read_dataset("dfdc", str(root))
    meta.rmdir()
    meta.symlink_to(meta)
    with pytest.raises(FileNotFoundError, match=re.escape(str(meta)) + r" \(Too many levels of symbolic links\)"):
        read_dataset("dfdc", str(root))
    meta.unlink()
    meta.write_bytes(whole)
    labels = tmp_path / "test" / "labels.csv"
    labels.write_bytes(b"filename,label\n\xff\xfe,1\n")
    with raises_naming(labels, "is not UTF-8 text"):
        read_dataset("dfdc", str(root))
    labels.write_text("filename,label\n" + "x" * 200_000 + ",1\n")
    with raises_naming(labels, ": not CSV after line 1 .field larger than field limit"):
        read_dataset("dfdc", str(root))


def test_a_binary_celebdf_list_names_the_file(tmp_path, clips):
    root = data_layouts.make_celebdf(tmp_path, clips)
    test_list = tmp_path / "List_of_testing_videos.txt"
    test_list.write_bytes(b"\x00\x01\x02\xfe binary")
    with raises_naming(test_list, "is not UTF-8 text"):
        read_dataset("celebdf", str(root))
