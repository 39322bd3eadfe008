"""The web page (Gradio Blocks): upload, progress, verdicts, plot, frames, heatmap, downloads, model panel.

Dropping files scores them at once, one batch per upload, queued behind any other user's (one model call
at a time, the model loaded once). Moving the threshold re-decides every verdict from the scores already
computed and rewrites the downloads; picking an input or a frame only shows what was drawn while scoring.

The endpoint ``score`` (``api_name="score"``) takes one file and returns what ``predict.py FILE --json``
writes for it; the page's own events are private to the page.
"""

import logging
import os
import shutil
import tempfile

import gradio as gr

from pel_keras.app import model_card
from pel_keras.app.downloads import write_downloads
from pel_keras.app.drawing import score_plot
from pel_keras.app.views import CSS, batch_html, verdict_html
from pel_keras.prediction.results import OK

TITLE = "PEL face-forgery detector"
INTRO = (
    "Drop one or more videos or photos. Each is scored as `predict.py` scores it: frames sampled at equal "
    "intervals, every face found and cut as for training, its fake probability; the verdict compares the "
    "video's score (the mean of the largest face's probability) with the threshold."
)
GALLERY_COLUMNS, GALLERY_ROWS_SHOWN = 8, 3  # more rows scroll
MODEL_CALLS = "model"  # the concurrency group of every event that runs the model: one at a time


def _forget(state):
    """Removes a finished session's pictures and downloads."""
    if state:
        shutil.rmtree(state["folder"], ignore_errors=True)


class Page:
    """The page's event handlers around one :class:`~pel_keras.app.service.ScoringService`.

    Args:
        service: the scoring service (its model already loaded).
        workspace: the folder where each batch's pictures and downloads are written (one sub-folder a batch).
    """

    def __init__(self, service, workspace):
        self.service, self.workspace = service, workspace

    def score_upload(self, files, threshold, state, progress=gr.Progress()):
        """Scores an upload; returns the new state and every output of the page."""
        _forget(state)
        if not files:
            return (
                None,
                "",
                None,
                None,
                gr.Dropdown(choices=[], value=None, visible=False),
                *self.show(None, 0, threshold),
            )
        folder = tempfile.mkdtemp(dir=self.workspace)
        uploads = [(path, os.path.basename(path)) for path in files]
        progress(0.0, desc="starting")
        analyses = self.service.analyse(uploads, folder, lambda fraction, message: progress(fraction, desc=message))
        state = {"folder": folder, "analyses": analyses}
        json_path, csv_path = write_downloads(folder, [a.result for a in analyses], self.service.settings, threshold)
        labels = [(f"{i + 1}. {a.result.input}", i) for i, a in enumerate(analyses)]
        choice = gr.Dropdown(choices=labels, value=0, visible=len(analyses) > 1)
        return (
            state,
            batch_html([a.result for a in analyses], threshold),
            json_path,
            csv_path,
            choice,
            *self.show(state, 0, threshold),
        )

    def show(self, state, choice, threshold):
        """Verdict, plot, frames and heatmap of input ``choice`` of the batch."""
        if not state or choice is None:
            return "", None, gr.Gallery(value=None, height=170), gr.Image(value=None, label="Heatmap")
        analysis = state["analyses"][choice]
        plot = score_plot(analysis.result, threshold) if analysis.result.status == OK else None
        frames = [(view.boxes, view.caption) for view in analysis.frames]
        best = analysis.most_fake_frame()
        rows = min(-(-len(frames) // GALLERY_COLUMNS), GALLERY_ROWS_SHOWN)
        gallery = gr.Gallery(value=frames or None, selected_index=best, height=max(rows, 1) * 150 + 20)
        return verdict_html(analysis.result, threshold), plot, gallery, self._heatmap(analysis, best)

    def redecide(self, state, choice, threshold):
        """The batch table, verdict, plot and downloads at a new threshold (nothing is scored again)."""
        if not state:
            return "", None, None, "", None
        results = [a.result for a in state["analyses"]]
        json_path, csv_path = write_downloads(state["folder"], results, self.service.settings, threshold)
        verdict, plot, _, _ = self.show(state, choice, threshold)
        return batch_html(results, threshold), json_path, csv_path, verdict, plot

    def select_frame(self, state, choice, event: gr.SelectData):  # Gradio passes the click by this annotation
        """The heatmap of the frame clicked in the gallery."""
        if not state or choice is None:
            return gr.Image(value=None)
        return self._heatmap(state["analyses"][choice], event.index)

    def _heatmap(self, analysis, position):
        if position is None or self.service.heatmaps_note is not None:
            return gr.Image(value=None, label="Heatmap")
        view = analysis.frames[position]
        if view.heatmap is None:
            return gr.Image(value=None, label=f"Heatmap: no face in {view.caption.split(':')[0]}")
        return gr.Image(value=view.heatmap, label=f"Heatmap of {view.caption} (red: where it looks fake)")

    def api_score(self, file):
        """The ``score`` endpoint: ``predict.py --json``'s document for one file."""
        if not file:
            raise gr.Error("send one file to score")
        return self.service.document(file, os.path.basename(file))


def build(service, workspace):
    """The :class:`gradio.Blocks` of the page.

    Args:
        service: the :class:`~pel_keras.app.service.ScoringService`.
        workspace: where batches write their pictures and downloads.
    """
    page = Page(service, workspace)
    size, note = service.scorer.image_size, service.heatmaps_note
    title = model_card.model_title(service.model, size, note)
    card = model_card.model_markdown(service.model, size, service.config, service.batch_size, note)
    threshold_default = service.config.threshold
    private = {"api_visibility": "private"}
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 86400)) as blocks:
        state = gr.State(None, delete_callback=_forget)
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        with gr.Accordion(f"Model: {title}", open=False, elem_id="pel-model-panel"):
            gr.Markdown(card, elem_id="pel-model")
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=300):
                files = gr.File(file_count="multiple", label="Videos or photos", elem_id="pel-files", height=180)
                threshold = gr.Slider(
                    0,
                    1,
                    value=threshold_default,
                    step=0.01,
                    elem_id="pel-threshold",
                    label="Threshold (a score above it is called fake)",
                )
                with gr.Row():
                    json_file = gr.DownloadButton("Download JSON", elem_id="pel-json", size="md")
                    csv_file = gr.DownloadButton("Download CSV", elem_id="pel-csv", size="md")
                gr.Markdown(
                    "JSON: what `predict.py --json` writes for these files. CSV: every face of every "
                    "sampled frame with its box and fake probability.",
                    elem_classes=["pel-note"],
                )
            with gr.Column(scale=3, min_width=400):
                batch = gr.HTML(elem_id="pel-batch-panel")
                choice = gr.Dropdown(label="Input shown below", choices=[], visible=False, elem_id="pel-choice")
                verdict = gr.HTML(elem_id="pel-verdict-panel")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                plot = gr.Plot(show_label=False, elem_id="pel-plot", format="png")  # the figure has its title
            with gr.Column(scale=2):
                if service.heatmaps_note is None:
                    heatmap = gr.Image(label="Heatmap", elem_id="pel-heatmap", interactive=False, height=300)
                else:
                    heatmap = gr.Image(visible=False)
                    gr.Markdown(f"**Heatmaps** {service.heatmaps_note}.", elem_id="pel-heatmap-note")
        gallery = gr.Gallery(
            label="Sampled frames, faces boxed in their score's colour (click one for its heatmap)",
            columns=GALLERY_COLUMNS,
            height=170,
            elem_id="pel-frames",
            allow_preview=False,
        )
        shown = [verdict, plot, gallery, heatmap]
        files.upload(
            page.score_upload,
            [files, threshold, state],
            [state, batch, json_file, csv_file, choice, *shown],
            concurrency_id=MODEL_CALLS,
            concurrency_limit=1,
            show_progress_on=[batch],
            **private,
        )
        threshold.change(
            page.redecide,
            [state, choice, threshold],
            [batch, json_file, csv_file, verdict, plot],
            concurrency_limit=None,
            trigger_mode="always_last",
            show_progress="hidden",
            **private,
        )
        choice.change(page.show, [state, choice, threshold], shown, concurrency_limit=None, **private)
        gallery.select(
            page.select_frame, [state, choice], heatmap, concurrency_limit=None, show_progress="hidden", **private
        )
        api_file, api_json = gr.File(visible=False), gr.JSON(visible=False)
        gr.Button(visible=False).click(
            page.api_score, api_file, api_json, api_name="score", concurrency_id=MODEL_CALLS, concurrency_limit=1
        )
    return blocks


def launch(blocks, host, port, max_upload_mb, workspace):
    """Starts the server in this thread's background and prints its address; returns ``(app, url)``.

    Events wait in one queue; the model runs one event at a time.
    """
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Gradio's own start-up requests, one line each
    blocks.queue(default_concurrency_limit=1)
    app, url, _ = blocks.launch(
        server_name=host,
        server_port=port,
        max_file_size=f"{max_upload_mb}mb",
        allowed_paths=[workspace],
        prevent_thread_lock=True,
        quiet=True,
        footer_links=["api"],
        css=CSS,
        show_error=True,
    )
    print(f"PEL app running at {url} (stop with Ctrl+C)", flush=True)
    return app, url
