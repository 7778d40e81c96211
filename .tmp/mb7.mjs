import { encodeBody } from '/work/main/dist/src/ingest/remote-write/body.js';
import { encodeWriteRequest } from '/work/main/dist/src/ingest/remote-write/v1-reference.js';
import { scanWriteRequest } from '/work/main/dist/src/ingest/remote-write/v1.js';
import { ByteEdits } from '/work/main/dist/src/wire/snappy-edit.js';
const v=process.argv[2];const {recompressEdited}=await import('/tmp/se-'+v+'.js');
const ts=[];
for (let i=0;i<2000;i++){const labels=[{name:'__name__',value:'bench_ingest_total'},{name:'__replica__',value:'a'},{name:'cluster',value:'eu1'},{name:'instance',value:`10.0.${i>>8}.${i&255}:9100`},{name:'job',value:'node'}];
for(let k=labels.length;k<10;k++)labels.push({name:`l${k}`,value:`v${(i*7+k)%97}`});labels.sort((a,b)=>a.name<b.name?-1:1);ts.push({labels,samples:[{value:i,timestamp:1704067200000}],exemplars:[],histograms:[]});}
const raw=encodeWriteRequest({timeseries:ts,metadata:[]});const body=encodeBody(raw);
const name=new TextEncoder().encode('__replica__');
const copy=Uint8Array.from(raw);const edits=new ByteEdits();
const r=scanWriteRequest(copy,name,edits);const st=copy.subarray(0,r.length);
for(let i=0;i<300;i++)recompressEdited(body,st,edits);
const s=performance.now();for(let i=0;i<1000;i++)recompressEdited(body,st,edits);console.log(v,((performance.now()-s)/1000).toFixed(3));
