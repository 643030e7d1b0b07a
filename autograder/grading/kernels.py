"""jupyter_client's kernel manager and client for grading, waiting in short steps where jupyter_client waits in
long ones: a grading kernel starts and ends once per submission, so its fixed waits are paid by every student.

* Ready: jupyter_client asks for kernel_info until IOPub answers too, giving IOPub 0.2 s each time, then
  drains IOPub until it has been silent for 0.2 s. Here IOPub gets READY_WAIT each time, and the drain stops
  after READY_WAIT of silence (what is left behind belongs to the kernel_info requests, which nbclient skips:
  it reads only the replies to its own requests).
* Shut down: jupyter_client checks whether the killed kernel has ended every 0.1 s; here every READY_WAIT.
"""
from __future__ import annotations

import time
from queue import Empty

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import default

READY_WAIT = 0.02   # seconds


class GradingClient(AsyncKernelClient):
    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                msg = None
            if msg is not None and msg["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=READY_WAIT)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(msg)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=READY_WAIT)
            except Empty:
                return


class GradingKernelManager(AsyncKernelManager):
    @default("client_factory")
    def _grading_client(self) -> type:
        return GradingClient

    async def _async_wait(self, pollinterval: float = READY_WAIT) -> None:
        await super()._async_wait(pollinterval=min(pollinterval, READY_WAIT))
