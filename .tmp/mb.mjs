import { encodeBody } from '/work/main/dist/src/ingest/remote-write/body.js';
import { encodeWriteRequest } from '/work/main/dist/src/ingest/remote-write/v1-reference.js';
import { scanWriteRequest, firstSeriesLabels } from '/work/main/dist/src/ingest/remote-write/v1.js';
import { ByteEdits, recompressEdited } from '/work/main/dist/src/wire/snappy-edit.js';
import { snappyDecode } from '/work/main/dist/src/wire/snappy.js';
import { uncompressSync } from 'snappy';
const ts=[];
for (let i=0;i<2000;i++){const labels=[{name:'__name__',value:'bench_ingest_total'},{name:'__replica__',value:'a'},{name:'cluster',value:'eu1'},{name:'instance',value:`10.0.${i>>8}.${i&255}:9100`},{name:'job',value:'node'}];
for(let k=labels.length;k<10;k++)labels.push({name:`l${k}`,value:`v${(i*7+k)%97}`});labels.sort((a,b)=>a.name<b.name?-1:1);ts.push({labels,samples:[{value:i,timestamp:1704067200000}],exemplars:[],histograms:[]});}
const raw=encodeWriteRequest({timeseries:ts,metadata:[]});const body=encodeBody(raw);
const name=new TextEncoder().encode('__replica__');
function t(label,f,n=1000){for(let i=0;i<200;i++)f();const s=performance.now();for(let i=0;i<n;i++)f();const ms=(performance.now()-s)/n;console.log(label,ms.toFixed(3),'ms');return ms;}
let tot=0;
tot+=t('decode js',()=>snappyDecode(body,1e8));
tot+=t('first',()=>firstSeriesLabels(raw));
const copy=Uint8Array.from(raw);const edits=new ByteEdits();
t('scan count',()=>scanWriteRequest(raw,null,null));
tot+=t('scan strip',()=>{copy.set(raw);scanWriteRequest(copy,name,edits)})-t('copy',()=>copy.set(raw));
copy.set(raw);const r=scanWriteRequest(copy,name,edits);const st=copy.subarray(0,r.length);
tot+=t('recompress',()=>recompressEdited(body,st,edits));
t('encode native',()=>encodeBody(st));
const rc=recompressEdited(body,st,edits);
console.log('total',tot.toFixed(3),'size',rc.length,'ok',Buffer.compare(uncompressSync(rc,{asBuffer:true}),Buffer.from(st))===0);
