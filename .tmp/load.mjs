import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { Agent, request } from 'undici';
import { encodeBody } from '/work/main/dist/src/ingest/remote-write/body.js';
import { encodeWriteRequest } from '/work/main/dist/src/ingest/remote-write/v1-reference.js';
const ts=[];
for (let i=0;i<2000;i++){const labels=[{name:'__name__',value:'bench_ingest_total'},{name:'__replica__',value:'a'},{name:'cluster',value:'eu1'},{name:'instance',value:`10.0.${i>>8}.${i&255}:9100`},{name:'job',value:'node'}];
for(let k=labels.length;k<10;k++)labels.push({name:`l${k}`,value:`v${(i*7+k)%97}`});labels.sort((a,b)=>a.name<b.name?-1:1);ts.push({labels,samples:[{value:i,timestamp:1704067200000}],exemplars:[],histograms:[]});}
const body=encodeBody(encodeWriteRequest({timeseries:ts,metadata:[]}));
const sink=createServer((q,s)=>{q.on('data',()=>{});q.on('end',()=>s.writeHead(204).end());});
await new Promise(r=>sink.listen(39111,'127.0.0.1',r));
const child=spawn(process.execPath,['--cpu-prof','--cpu-prof-dir=/tmp/prof','/work/main/dist/src/cmd/main.js','ingest','--http-address=127.0.0.1:39112','--remote-write.url=http://127.0.0.1:39111/api/v1/write','--log.level=warn'],{stdio:'inherit'});
await new Promise(r=>setTimeout(r,1500));
const agent=new Agent({connections:16});
const headers={'content-type':'application/x-protobuf','content-encoding':'snappy'};
const until=performance.now()+6000;let n=0;
await Promise.all(Array.from({length:8},async()=>{while(performance.now()<until){const r=await request('http://127.0.0.1:39112/api/v1/push',{method:'POST',headers,body,dispatcher:agent});await r.body.dump();n++;}}));
console.log('requests',n);
child.kill('SIGTERM');await new Promise(r=>child.on('exit',r));sink.close();await agent.close();
