"""Step: review the inventory, write it and check it as `haneul deploy -i` would."""

from __future__ import annotations

from pathlib import Path

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static

from installer.inventory import InventoryError, parse
from tui.install.messages import Advance, InventoryWritten
from tui.install.steps.base import Step


class ReviewStep(Step):
    TITLE = "Review"
    NEXT_LABEL = "Write"

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label("Save as", classes="label")
            yield Input(id="inventory-path", compact=True)
        yield Static("", id="review-errors", classes="errors")
        with VerticalScroll(id="yaml-view", can_focus=True):
            yield Static(id="yaml")

    def load(self) -> None:
        self.query_one("#inventory-path", Input).value = str(self.ctx.state.inventory_path)
        self.say("")
        self.show_yaml()

    def show_yaml(self) -> None:
        self.query_one("#yaml", Static).update(
            Syntax(self.ctx.state.to_yaml(), "yaml", theme="ansi_dark",
                   background_color="default"))

    @on(Input.Changed, "#inventory-path")
    def path_changed(self, event: Input.Changed) -> None:
        if event.value.strip():
            # Absolute: the header's `haneul deploy -i` line must work from anywhere.
            self.ctx.state.inventory_path = Path(event.value.strip()).expanduser().absolute()
            self.show_yaml()

    def say(self, text: str) -> None:
        box = self.query_one("#review-errors", Static)
        box.update(Text(text))
        box.display = bool(text)

    def save(self) -> list[str]:
        problems = self.ctx.state.problems()
        if not str(self.query_one("#inventory-path", Input).value).strip():
            problems.append("say where to save the inventory")
        return problems

    def proceed(self) -> bool:
        self.say("writing…")
        self.write(self.ctx.state.inventory_path, self.ctx.state.to_yaml())
        return False

    @work(thread=True, exclusive=True, group="write")
    def write(self, path: Path, text: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            parse(path)
        except InventoryError as err:
            self.post_message(InventoryWritten(str(err).splitlines()[1:] or [str(err)]))
        except OSError as err:
            self.post_message(InventoryWritten([f"cannot write {path}: {err}"]))
        except Exception as err:  # parse() meeting what it does not expect
            self.post_message(InventoryWritten([f"{type(err).__name__}: {err}"]))
        else:
            self.post_message(InventoryWritten([]))

    def on_inventory_written(self, message: InventoryWritten) -> None:
        message.stop()
        if message.errors:
            self.say("The inventory cannot be deployed:\n" + "\n".join(
                f"  • {e.strip().lstrip('- ')}" for e in message.errors))
            return
        self.say(f"Written. Repeat unattended: haneul deploy -i "
                 f"{self.ctx.state.inventory_path}")
        self.post_message(Advance())
