"""Does closing a stream stop the embedded engine's generation? Decode rate (deltas/s) of one short
request run (a) alone, (b) right after a long request closed after 5 deltas, (c) beside a long
request left running. (b) close to (a) means the server stopped the closed request.

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/probe_cancel.py
"""
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tutor.core.settings import Settings  # noqa: E402
from tutor.services import Services  # noqa: E402

LONG = [{"role": "user", "content": "Напиши очень длинный рассказ про квантизацию моделей, минимум 2000 слов."}]
SHORT = [{"role": "user", "content": "Перечисли 40 чисел через запятую, начиная с 1."}]


def timed(llm, msgs, n=120):
    first, k = None, 0
    for _ in llm.stream(msgs, purpose="probe", max_tokens=n):
        first = first or time.perf_counter()
        k += 1
    return k / (time.perf_counter() - first)


def main():
    with Services(Settings()) as s:
        llm = s.llm
        timed(llm, SHORT, 10)
        print("alone", round(timed(llm, SHORT), 1), "deltas/s", flush=True)
        g = llm.stream(LONG, purpose="long", max_tokens=500)
        for _ in range(5):
            next(g)
        g.close()
        print("after a cancelled long request", round(timed(llm, SHORT), 1), flush=True)
        t = threading.Thread(target=lambda: [None for _ in llm.stream(LONG, purpose="long", max_tokens=500)])
        t.start()
        time.sleep(3)
        print("beside a running long request", round(timed(llm, SHORT), 1), flush=True)
        t.join()


if __name__ == "__main__":
    main()

