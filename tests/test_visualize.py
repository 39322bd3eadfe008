"""visualize.py on a small trained PEL model: the figures, and the maps behind them checked against the model."""

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import trained_run

import pel_keras
from pel_keras.data.video import MediaError, read_frame
from pel_keras.export.preset import preset_source, save_preset
from pel_keras.testing import data_media
from pel_keras.testing.scripts import run_script
from pel_keras.visualization.cam import ClassActivationMaps
from pel_keras.visualization.maps import enhancement_residual
from pel_keras.visualization.paper_figures import make_figures, read_faces
from pel_keras.visualization.taps import (
    FeatureModel,
    MissingModuleError,
    model_streams,
    mutual_enhancement_pairs,
    self_enhancement_pairs,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FRAME = 2


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return trained_run.saved_run(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """A real frame (PNG), a fake video and its masks as a folder of frames (FF++'s layout for frames)."""
    root = tmp_path_factory.mktemp("figure_media")
    real = trained_run.frames(False, 4)
    cv2.imwrite(str(root / "real.png"), real[FRAME])
    trained_run.write_video(root / "fake.mp4", trained_run.frames(True, 4))
    (root / "masks").mkdir()
    for index, frame in enumerate(real):
        cv2.imwrite(str(root / "masks" / f"{index:04d}.png"), trained_run.manipulate(frame)[1])
    return root


def test_cli_writes_figures_2_to_4_with_the_mask_beside(run, media):
    command = [
        sys.executable,
        "visualize.py",
        f"--workdir={run.directory}",
        f"--frame={FRAME}",
        f"--images={media / 'real.png'},{media / 'fake.mp4'}",
        f"--masks=,{media / 'masks'}",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    names = ["fig2_cam.png", "fig3_self_enhancement.png", "fig4_mutual_enhancement.png"]
    assert sorted(os.listdir(run.directory / "figures")) == names
    figures = [cv2.imread(str(run.directory / "figures" / name)) for name in names]
    for figure in figures:  # 2 rows x 4 columns (face, RGB, frequency, mask) of 2-inch panels at 100 dpi
        assert figure.shape == (2 * 200 + 60, 4 * 200, 3) and figure.std() > 30
    assert min(np.abs(a.astype(int) - b).mean() for a, b in [figures[:2], figures[1:], figures[::2]]) > 5


def test_a_preset_of_the_model_draws_the_same_figures_into_the_current_folder(run, media, tmp_path):
    preset = str(tmp_path / "preset")
    save_preset(preset_source(model_path=str(run.directory / "best.keras")), preset)
    script, images = os.path.join(ROOT, "visualize.py"), f"--images={media / 'real.png'},{media / 'fake.mp4'}"
    by_run = run_script(script, f"--workdir={run.directory}", images, f"--output_dir={tmp_path / 'by_run'}")
    by_preset = run_script(script, f"--model={preset}", images, cwd=tmp_path)  # figures go to ./figures
    assert by_run.returncode == by_preset.returncode == 0, by_run.stderr + by_preset.stderr
    names = sorted(os.listdir(tmp_path / "by_run"))
    assert len(names) == 3 and sorted(os.listdir(tmp_path / "figures")) == names
    assert sorted(os.listdir(preset)) == ["README.md", "metadata.json", "model.keras"]  # nothing written into it
    for name in names:
        drawn = [cv2.imread(str(tmp_path / folder / name)) for folder in ("by_run", "figures")]
        np.testing.assert_array_equal(*drawn)


def test_faces_and_masks_are_cropped_alike(media):
    faces = read_faces(
        [str(media / "real.png"), str(media / "fake.mp4")],
        [None, str(media / "masks")],
        trained_run.IMAGE_SIZE,
        frame=FRAME,
    )
    assert faces.crops.shape == (2, 64, 64, 3) and faces.names == ["real.png", "fake.mp4"]
    mask = faces.masks[1]
    assert faces.masks[0] is None and 0.05 < (mask > 0.5).mean() < 0.5
    redness = faces.crops[1][..., 0].astype(float) - faces.crops[1][..., 1]
    assert redness[mask > 0.5].mean() > redness[mask < 0.5].mean() + 30  # the tinted region is under the mask
    with pytest.raises(ValueError, match="2 masks for 1 images"):
        read_faces([str(media / "real.png")], [None, None], 64)
    with pytest.raises(MediaError, match="has no decodable frame 9"):
        read_frame(str(media / "fake.mp4"), 9)


def test_cam_adds_up_to_the_logit_and_residuals_are_the_modules_own(run, media):
    model = run.model
    crops = read_faces([str(media / "real.png"), str(media / "fake.mp4")], [], 64, frame=FRAME).crops
    cams = ClassActivationMaps(model)
    self_pairs, mutual_pairs = self_enhancement_pairs(model), mutual_enhancement_pairs(model)
    taps = {"probability": model.output, **cams.taps}
    for name, pairs in (("self", self_pairs), ("mutual", mutual_pairs)):
        taps.update({f"{name}/{s}/{i}": tensor for s, pair in pairs.items() for i, tensor in enumerate(pair)})
    arrays = FeatureModel(model, taps)(crops)
    maps = cams(arrays)
    probability = arrays["probability"][:, 0].astype(np.float64)
    np.testing.assert_allclose(
        cams.bias + sum(m.mean(axis=(1, 2)) for m in maps.values()), np.log(probability / (1 - probability)), atol=2e-3
    )
    assert [w.shape for w in cams.weights.values()] == [(1280,), (1280,)]
    assert all(m.std(axis=(1, 2)).min() > 0 for m in maps.values())
    evidence = cams.fake_evidence(maps)
    assert evidence.shape == (2, 2, 2) and 0 < evidence.min() < evidence.max() < 1

    rgb_in = arrays["self/rgb/0"]
    own = model.get_layer("rgb_noise_enhancement_1")(rgb_in).numpy()
    np.testing.assert_allclose(own, arrays["self/rgb/1"], atol=1e-4)
    mutual = model.get_layer("mutual_enhancement_6")([arrays["mutual/rgb/0"], arrays["mutual/freq/0"]])
    np.testing.assert_allclose(mutual[1].numpy(), arrays["mutual/freq/1"], atol=1e-4)
    for name in ("self/rgb", "self/freq", "mutual/rgb", "mutual/freq"):
        residual = enhancement_residual(arrays[f"{name}/0"], arrays[f"{name}/1"])
        assert residual.ndim == 3 and residual.std(axis=(1, 2)).min() > 0


def test_an_ablation_gets_the_figures_it_can_show_and_the_missing_layer_named(media, tmp_path):
    model = pel_keras.build_model("efficientnet_b0", image_size=64, streams="rgb", self_enhancement=False, weights=None)
    assert model_streams(model) == ("rgb",) and list(mutual_enhancement_pairs(model)) == ["rgb"]
    assert list(ClassActivationMaps(model).weights) == ["rgb"]
    model.save(tmp_path / "rgb_only.keras")
    written, skipped = make_figures(
        str(tmp_path / "rgb_only.keras"), [str(media / "real.png")], output_dir=str(tmp_path / "figures")
    )
    assert sorted(written) == [2, 4] and list(skipped) == [3]
    assert "no layer 'rgb_noise_enhancement_1', which Fig. 3 (self-enhancement) needs" in skipped[3]
    for path in written.values():  # one row; face and RGB stream, no mask column
        figure = cv2.imread(path)
        assert figure.shape == (200 + 60, 2 * 200, 3) and figure.std() > 30
    with pytest.raises(MissingModuleError, match="rgb_noise_enhancement_1"):
        self_enhancement_pairs(model)


def test_images_and_masks_above_the_pixel_limit_are_refused_before_decoding(run, media, tmp_path):
    bomb = data_media.write_png_bomb(str(tmp_path / "bomb.png"))
    with pytest.raises(MediaError, match=r"bomb.png: 20000x20000 pixels .* raise --max_megapixels"):
        read_faces([bomb], [], 64)
    with pytest.raises(MediaError, match=r"bomb.png: 20000x20000 pixels"):  # as a mask
        read_faces([str(media / "real.png")], [bomb], 64)
    command = [
        sys.executable,
        "visualize.py",
        f"--workdir={run.directory}",
        f"--images={media / 'real.png'}",
        "--max_megapixels=0.02",
        f"--output_dir={tmp_path / 'figures'}",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "real.png: 192x144 pixels (0.0276 megapixels) is above the limit" in done.stderr
