"""Error bars are scaled against the threshold, newest sample at the right edge."""

from __future__ import annotations

from textual.app import App, ComposeResult

from relui.widgets.error_rate import resample
from relui.widgets.error_sparkline import Bars


class BarsApp(App[None]):
    def __init__(self, bars: Bars) -> None:
        super().__init__()
        self.bars = bars

    def compose(self) -> ComposeResult:
        yield self.bars


async def rendered(data: tuple[float, ...], ceiling: float | None, width: int = 20) -> str:
    bars = Bars(ceiling, ceiling)
    bars.styles.width = width
    app = BarsApp(bars)
    async with app.run_test(size=(40, 3)) as pilot:
        bars.data = data
        await pilot.pause()
        return str(bars.render())


async def test_noise_under_the_threshold_stays_low_and_a_spike_reaches_the_top() -> None:
    text = await rendered((0.004, 0.006, 0.005, 0.09), ceiling=0.05)
    assert text == " " * 16 + "▁▁▁█"


async def test_without_a_ceiling_the_bars_show_shape() -> None:
    text = await rendered((1.0, 2.0, 3.0), ceiling=None, width=3)
    assert text[0] == "▁" and text[-1] == "█"


def test_resample_keeps_the_worst_sample_of_each_bucket() -> None:
    assert resample([0.0, 0.9, 0.0, 0.0, 0.1, 0.0], 3) == [0.9, 0.0, 0.1]
    assert resample([1.0, 2.0], 5) == [1.0, 2.0]
