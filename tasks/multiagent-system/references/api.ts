// References are written exactly like candidates, which import `./api.ts` from
// the task folder; this forwards that import when a reference runs from here.
export * from "../api.ts";
