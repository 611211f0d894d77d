"""Reviews per day (bars) and the share recalled (line) over the last weeks."""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot

from tui.services import DayStat


class HistoryPlot(PlotextPlot):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._days: Sequence[DayStat] = ()

    def show(self, days: Sequence[DayStat]) -> None:
        self._days = days
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("reviews per day · share recalled")
        if not days or not any(d.reviews for d in days):
            plt.title("no quiz reviews yet")
            self.refresh()
            return
        xs = [float(i) for i in range(len(days))]
        labels = [d.day.strftime("%m-%d") for d in days]
        step = max(1, len(days) // 4)  # few labels: plotext drops colliding ones unpredictably
        reviewed = [(x, d) for x, d in zip(xs, days, strict=True) if d.reviews]
        plt.bar([x for x, _ in reviewed], [d.reviews for _, d in reviewed], color="blue", width=0.4,
                label="reviews")
        plt.ylim(0, max(d.reviews for d in days) + 1)
        recall = [(x, d.recall * 100) for x, d in reviewed if d.recall is not None]
        if recall:
            plt.scatter([x for x, _ in recall], [y for _, y in recall], yside="right", color="green",
                        marker="●", label="% recalled")
            plt.ylim(0, 100, yside="right")  # type: ignore[arg-type]  # the stub is wrong; plotext takes a side name
        plt.xlim(-1, len(days))
        plt.xticks(xs[::step], labels[::step])
        self.refresh()
