// Experiment: the header at 1024 and 1280 px in the real window.
import { makeDemo, startDriver, webviewScreenshot } from "./lib/desktop.mjs";
import { note, startStepLog } from "./lib/steps.mjs";
import { Key, sleep } from "./lib/webdriver.mjs";
startStepLog("/tmp/desk/exp/header-steps.log");
const demo = makeDemo();
const driver = await startDriver(demo.dir);
const s = await driver.launch([demo.projects.image]);
try {
  await s.waitForScript("window.__siftReady === true", 30000);
  note(`rect before: ${JSON.stringify(await s.cmd("GET", "/window/rect"))}`);
  await s.press(Key.Alt, "c");
  await s.typeKeys("A pagoda");
  await s.waitForScript(`document.querySelector('[data-testid="autosave-status"]')?.dataset.status`, 5000);
  for (const width of [1024, 1280]) {
    try {
      const r = await s.cmd("POST", "/window/rect", { width, height: 760 });
      note(`set ${width}: ${JSON.stringify(r)}`);
    } catch (e) { note(`set ${width} failed: ${e.message}`); }
    await sleep(800);
    const info = await s.query(`return { inner: innerWidth, status: document.querySelector('[data-testid="autosave-status"]')?.textContent };`);
    note(`${width}: ${JSON.stringify(info)}`);
    driver.x11Screenshot(`exp-window-${width}`);
    await webviewScreenshot(s, `exp-webview-${width}`);
  }
} finally {
  await s.delete();
  await driver.stop();
}
