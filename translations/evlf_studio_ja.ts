<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ja_JP">
<context>
    <name>AnalysisView</name>
    <message>
        <source>Latent PCA</source>
        <translation>潜在表現の PCA</translation>
    </message>
    <message>
        <source>principal component 1</source>
        <translation>第1主成分</translation>
    </message>
    <message>
        <source>principal component 2</source>
        <translation>第2主成分</translation>
    </message>
    <message>
        <source>Training and evaluation</source>
        <translation>学習と評価</translation>
    </message>
    <message>
        <source>Prompt over-correction</source>
        <translation>プロンプトによる過補正</translation>
    </message>
    <message>
        <source>distance to nearest real image</source>
        <translation>最近傍の実画像までの距離</translation>
    </message>
    <message>
        <source>confidence for the prompt class</source>
        <translation>プロンプトのクラスに対する確信度</translation>
    </message>
    <message>
        <source>Late fusion</source>
        <translation>後期融合</translation>
    </message>
    <message>
        <source>Early fusion</source>
        <translation>早期融合</translation>
    </message>
    <message>
        <source>class %1</source>
        <translation>クラス %1</translation>
    </message>
    <message>
        <source>real</source>
        <translation>実画像</translation>
    </message>
    <message>
        <source>late fusion</source>
        <translation>後期融合</translation>
    </message>
    <message>
        <source>early fusion</source>
        <translation>早期融合</translation>
    </message>
</context>
<context>
    <name>AttentionView</name>
    <message>
        <source>attention weight</source>
        <translation>アテンション重み</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>ステップ</translation>
    </message>
    <message>
        <source>Prompt token</source>
        <translation>プロンプトトークン</translation>
    </message>
    <message>
        <source>Heat map opacity</source>
        <translation>ヒートマップの不透明度</translation>
    </message>
    <message>
        <source>Early fusion</source>
        <translation>早期融合</translation>
    </message>
    <message>
        <source>Late cross-attention</source>
        <translation>後期融合のクロスアテンション</translation>
    </message>
    <message>
        <source>Layer</source>
        <translation>層</translation>
    </message>
    <message>
        <source>Head</source>
        <translation>ヘッド</translation>
    </message>
    <message>
        <source>Average</source>
        <translation>平均</translation>
    </message>
    <message>
        <source>Layer %1</source>
        <translation>層 %1</translation>
    </message>
    <message>
        <source>Head %1</source>
        <translation>ヘッド %1</translation>
    </message>
    <message>
        <source>no steps traced</source>
        <translation>記録されたステップなし</translation>
    </message>
    <message>
        <source>t = %1</source>
        <translation>t = %1</translation>
    </message>
    <message>
        <source>step %1</source>
        <translation>ステップ %1</translation>
    </message>
</context>
<context>
    <name>BundlePanel</name>
    <message>
        <source>Open bundle…</source>
        <translation>バンドルを開く…</translation>
    </message>
    <message>
        <source>Choose a model bundle folder (one with bundle.json)</source>
        <translation>モデルバンドルのフォルダー (bundle.json を含むもの) を選択します</translation>
    </message>
    <message>
        <source>No bundle open</source>
        <translation>バンドルが開かれていません</translation>
    </message>
    <message>
        <source>Real images: &quot;fashion-mnist&quot; or the path of an ImageFolder tree</source>
        <translation>実画像：&quot;fashion-mnist&quot; または ImageFolder 形式のフォルダーのパス</translation>
    </message>
    <message>
        <source>Ticked classes appear in the compare, analysis and curate views; the current class is traced in the attention and timeline views</source>
        <translation>チェックしたクラスが比較・分析・選別ビューに表示されます。現在のクラスはアテンションとタイムラインのビューで追跡されます</translation>
    </message>
    <message>
        <source>All</source>
        <translation>すべて</translation>
    </message>
    <message>
        <source>None</source>
        <translation>なし</translation>
    </message>
    <message>
        <source>Samples per class in the compare view</source>
        <translation>比較ビューでのクラスあたりのサンプル数</translation>
    </message>
    <message>
        <source>Slot of the current class traced in the attention and timeline views</source>
        <translation>アテンションとタイムラインのビューで追跡する、現在のクラスのスロット</translation>
    </message>
    <message>
        <source>Dataset</source>
        <translation>データセット</translation>
    </message>
    <message>
        <source>Slots per class</source>
        <translation>クラスあたりのスロット数</translation>
    </message>
    <message>
        <source>Traced slot</source>
        <translation>追跡するスロット</translation>
    </message>
    <message>
        <source>Classes</source>
        <translation>クラス</translation>
    </message>
</context>
<context>
    <name>CompareView</name>
    <message>
        <source>Regenerating: these samples are out of date.</source>
        <translation>再生成中：表示中のサンプルは現在の設定を反映していません。</translation>
    </message>
    <message>
        <source>Class / slot</source>
        <translation>クラス / スロット</translation>
    </message>
    <message>
        <source>Late fusion</source>
        <translation>後期融合</translation>
    </message>
    <message>
        <source>Early fusion (EVLF)</source>
        <translation>早期融合 (EVLF)</translation>
    </message>
    <message>
        <source>Nearest real image</source>
        <translation>最近傍の実画像</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>待機中</translation>
    </message>
    <message>
        <source>%1
slot %2</source>
        <translation>%1
スロット %2</translation>
    </message>
</context>
<context>
    <name>CurationCommand</name>
    <message numerus="yes">
        <source>Keep %n image(s)</source>
        <translation>
            <numerusform>%n 枚の画像を採用</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Reject %n image(s)</source>
        <translation>
            <numerusform>%n 枚の画像を不採用</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Clear the decision on %n image(s)</source>
        <translation>
            <numerusform>%n 枚の画像の判定を解除</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CurationModel</name>
    <message>
        <source>%1 · %2</source>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <source>Image %1: %2, %3 pipeline</source>
        <translation>画像 %1：%2、%3 パイプライン</translation>
    </message>
</context>
<context>
    <name>FrameStrip</name>
    <message>
        <source>No steps traced</source>
        <translation>記録されたステップがありません</translation>
    </message>
</context>
<context>
    <name>GalleryView</name>
    <message>
        <source>&amp;Keep</source>
        <translation>採用(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;Reject</source>
        <translation>不採用(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Undecided</source>
        <translation>未判定(&amp;U)</translation>
    </message>
    <message>
        <source>Keep the selected images (K)</source>
        <translation>選択した画像を採用 (K)</translation>
    </message>
    <message>
        <source>Reject the selected images (R)</source>
        <translation>選択した画像を不採用 (R)</translation>
    </message>
    <message>
        <source>Clear the decision on the selected images (U)</source>
        <translation>選択した画像の判定を解除 (U)</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>元に戻す</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>やり直し</translation>
    </message>
    <message>
        <source>Undo: %1</source>
        <translation>元に戻す：%1</translation>
    </message>
    <message>
        <source>Redo: %1</source>
        <translation>やり直し：%1</translation>
    </message>
    <message>
        <source>Export kept…</source>
        <translation>採用画像をエクスポート…</translation>
    </message>
    <message>
        <source>Export the images marked as kept</source>
        <translation>採用と判定した画像をエクスポート</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>クラス</translation>
    </message>
    <message>
        <source>Pipeline</source>
        <translation>パイプライン</translation>
    </message>
    <message>
        <source>All classes</source>
        <translation>すべてのクラス</translation>
    </message>
    <message>
        <source>All pipelines</source>
        <translation>すべてのパイプライン</translation>
    </message>
    <message>
        <source>%1 kept, %2 rejected, %3 undecided</source>
        <translation>採用 %1、不採用 %2、未判定 %3</translation>
    </message>
</context>
<context>
    <name>HeatmapOverlay</name>
    <message>
        <source>No attention map</source>
        <translation>アテンションマップがありません</translation>
    </message>
</context>
<context>
    <name>ImageTile</name>
    <message>
        <source>No image</source>
        <translation>画像なし</translation>
    </message>
</context>
<context>
    <name>LanguageMenu</name>
    <message>
        <source>&amp;Language</source>
        <translation>言語(&amp;L)</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>システムの既定</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>言語</translation>
    </message>
    <message>
        <source>The new language applies when EVLF Studio restarts.</source>
        <translation>新しい言語は EVLF Studio の再起動後に適用されます。</translation>
    </message>
    <message>
        <source>Restart now</source>
        <translation>今すぐ再起動</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>後で</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>EVLF Studio</source>
        <translation>EVLF Studio</translation>
    </message>
    <message>
        <source>Log</source>
        <translation>ログ</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>ファイル(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>終了(&amp;Q)</translation>
    </message>
    <message>
        <source>Close EVLF Studio</source>
        <translation>EVLF Studio を終了します</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>比較</translation>
    </message>
    <message>
        <source>Attention</source>
        <translation>アテンション</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>タイムライン</translation>
    </message>
    <message>
        <source>Analysis</source>
        <translation>分析</translation>
    </message>
    <message>
        <source>Curate</source>
        <translation>選別</translation>
    </message>
    <message>
        <source>Open a model bundle to start (File &gt; Open bundle).</source>
        <translation>モデルバンドルを開いて開始してください (ファイル &gt; バンドルを開く)。</translation>
    </message>
    <message>
        <source>Generate set</source>
        <translation>セットを生成</translation>
    </message>
    <message>
        <source>Generate IPC images per ticked class with both pipelines</source>
        <translation>チェックした各クラスについて、両方のパイプラインで IPC 枚の画像を生成します</translation>
    </message>
    <message>
        <source>K keeps, R rejects, U clears; Ctrl+E exports the kept images.</source>
        <translation>K で採用、R で不採用、U で解除。Ctrl+E で採用画像をエクスポートします。</translation>
    </message>
    <message>
        <source>Bundle and data</source>
        <translation>バンドルとデータ</translation>
    </message>
    <message>
        <source>Sampling</source>
        <translation>サンプリング</translation>
    </message>
    <message>
        <source>&amp;Open bundle…</source>
        <translation>バンドルを開く(&amp;O)…</translation>
    </message>
    <message>
        <source>Open a model bundle folder (one with bundle.json)</source>
        <translation>モデルバンドルのフォルダー (bundle.json を含むもの) を開きます</translation>
    </message>
    <message>
        <source>&amp;Export kept set…</source>
        <translation>採用セットをエクスポート(&amp;E)…</translation>
    </message>
    <message>
        <source>Write the kept images of the Curate tab as an image set with provenance</source>
        <translation>選別タブで採用した画像を、来歴情報付きの画像セットとして書き出します</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>表示(&amp;V)</translation>
    </message>
    <message>
        <source>Show the %1 view</source>
        <translation>%1 ビューを表示します</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>実行(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Regenerate</source>
        <translation>再生成(&amp;R)</translation>
    </message>
    <message>
        <source>Sample the compare view and the visible view again</source>
        <translation>比較ビューと表示中のビューを再サンプリングします</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>キャンセル(&amp;C)</translation>
    </message>
    <message>
        <source>Stop the running and the pending work</source>
        <translation>実行中および待機中の処理を停止します</translation>
    </message>
    <message>
        <source>&amp;Generate set</source>
        <translation>セットを生成(&amp;G)</translation>
    </message>
    <message>
        <source>Generate IPC images per ticked class with both pipelines for curation</source>
        <translation>選別用に、チェックした各クラスについて両方のパイプラインで IPC 枚の画像を生成します</translation>
    </message>
    <message>
        <source>&amp;Evaluate sets</source>
        <translation>セットを評価(&amp;E)</translation>
    </message>
    <message>
        <source>Train ConvNet-3 on the late and on the early set and report their accuracy on the real test split</source>
        <translation>後期融合と早期融合のセットでそれぞれ ConvNet-3 を学習し、実データのテスト分割での精度を報告します</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>ヘルプ(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About EVLF Studio</source>
        <translation>EVLF Studio について(&amp;A)</translation>
    </message>
    <message>
        <source>Show the version and what EVLF Studio does</source>
        <translation>バージョンと EVLF Studio の概要を表示します</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n images to %1</source>
        <translation>
            <numerusform>%n 枚の画像を %1 にエクスポートしました</numerusform>
        </translation>
    </message>
    <message>
        <source>Opening %1…</source>
        <translation>%1 を開いています…</translation>
    </message>
    <message>
        <source>Open model bundle</source>
        <translation>モデルバンドルを開く</translation>
    </message>
    <message>
        <source>No image is kept yet: select images in the Curate tab and press K.</source>
        <translation>まだ採用した画像がありません。選別タブで画像を選択して K を押してください。</translation>
    </message>
    <message>
        <source>Export kept images to a new folder</source>
        <translation>採用画像を新しいフォルダーにエクスポート</translation>
    </message>
    <message>
        <source>EVLF Studio — %1</source>
        <translation>EVLF Studio — %1</translation>
    </message>
    <message>
        <source>Could not open the bundle: %1</source>
        <translation>バンドルを開けませんでした：%1</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>エクスポートに失敗しました</translation>
    </message>
    <message>
        <source>About EVLF Studio</source>
        <translation>EVLF Studio について</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;EVLF Studio %1&lt;/b&gt;&lt;/p&gt;&lt;p&gt;Diffusion-based dataset distillation with early vision-language fusion: compare late and early fusion side by side, inspect attention and sampling trajectories, and export curated synthetic sets.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;EVLF Studio %1&lt;/b&gt;&lt;/p&gt;&lt;p&gt;早期視覚言語融合による拡散モデルのデータセット蒸留。後期融合と早期融合を並べて比較し、アテンションとサンプリングの軌跡を調べ、選別した合成セットをエクスポートします。&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>ParameterPanel</name>
    <message>
        <source>DDPM</source>
        <translation>DDPM</translation>
    </message>
    <message>
        <source>DDIM</source>
        <translation>DDIM</translation>
    </message>
    <message>
        <source>Restore published settings</source>
        <translation>論文の設定に戻す</translation>
    </message>
    <message>
        <source>50 steps, CFG scale 4.0, mode guidance 0.1, stop step 25, fusion weight 1</source>
        <translation>50 ステップ、CFG スケール 4.0、モードガイダンス 0.1、停止ステップ 25、融合重み 1</translation>
    </message>
    <message>
        <source>Fusion weight alpha: 0 = image latent only, 1 = early fusion as published</source>
        <translation>融合重み α：0 = 画像の潜在表現のみ、1 = 論文どおりの早期融合</translation>
    </message>
    <message>
        <source>Classifier-free guidance scale; 1 turns guidance off</source>
        <translation>分類器なしガイダンス (CFG) のスケール。1 でガイダンスを無効にします</translation>
    </message>
    <message>
        <source>Mode-guidance strength lambda; 0 turns mode guidance off</source>
        <translation>モードガイダンスの強さ λ。0 でモードガイダンスを無効にします</translation>
    </message>
    <message>
        <source>Mode guidance runs while the step index is above this value</source>
        <translation>ステップ番号がこの値より大きい間、モードガイダンスを適用します</translation>
    </message>
    <message>
        <source>Base seed; each class and slot derives its own initial noise from it</source>
        <translation>基準シード。各クラス・各スロットの初期ノイズはこの値から導出されます</translation>
    </message>
    <message>
        <source>Images per class</source>
        <translation>クラスあたりの画像数 (IPC)</translation>
    </message>
    <message>
        <source>Fusion weight (α)</source>
        <translation>融合重み (α)</translation>
    </message>
    <message>
        <source>CFG scale</source>
        <translation>CFG スケール</translation>
    </message>
    <message>
        <source>Mode guidance (λ)</source>
        <translation>モードガイダンス (λ)</translation>
    </message>
    <message>
        <source>Stop step</source>
        <translation>停止ステップ</translation>
    </message>
    <message>
        <source>Sampling steps</source>
        <translation>サンプリングステップ数</translation>
    </message>
    <message>
        <source>Sampler</source>
        <translation>サンプラー</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>シード</translation>
    </message>
</context>
<context>
    <name>ProgressBanner</name>
    <message>
        <source>Cancel</source>
        <translation>キャンセル</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>キャンセル中…</translation>
    </message>
</context>
<context>
    <name>StudioController</name>
    <message>
        <source>Opened bundle %1</source>
        <translation>バンドル %1 を開きました</translation>
    </message>
    <message>
        <source>training step</source>
        <translation>学習ステップ</translation>
    </message>
    <message>
        <source>loss</source>
        <translation>損失</translation>
    </message>
    <message numerus="yes">
        <source>Generated %n images</source>
        <translation>
            <numerusform>%n 枚の画像を生成しました</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Exported %n images to %1</source>
        <translation>
            <numerusform>%n 枚の画像を %1 にエクスポートしました</numerusform>
        </translation>
    </message>
    <message>
        <source>Sampling the compare view</source>
        <translation>比較ビューをサンプリング中</translation>
    </message>
    <message>
        <source>Tracing attention</source>
        <translation>アテンションを追跡中</translation>
    </message>
    <message>
        <source>Tracing the timeline</source>
        <translation>タイムラインを追跡中</translation>
    </message>
    <message>
        <source>Analysing the generated set</source>
        <translation>生成セットを分析中</translation>
    </message>
    <message>
        <source>Generating the set</source>
        <translation>セットを生成中</translation>
    </message>
    <message>
        <source>Opening the bundle</source>
        <translation>バンドルを開いています</translation>
    </message>
    <message>
        <source>Exporting the kept images</source>
        <translation>採用画像をエクスポート中</translation>
    </message>
    <message>
        <source>Evaluating the late and early sets</source>
        <translation>後期融合と早期融合のセットを評価中</translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 に失敗しました：%2</translation>
    </message>
    <message>
        <source>%1: cancelled</source>
        <translation>%1：キャンセルしました</translation>
    </message>
</context>
<context>
    <name>StudioEngine</name>
    <message>
        <source>late</source>
        <translation>後期融合</translation>
    </message>
    <message>
        <source>early (alpha %1)</source>
        <translation>早期融合 (α %1)</translation>
    </message>
    <message>
        <source>L2 %1</source>
        <translation>L2 %1</translation>
    </message>
    <message>
        <source>%1: ConvNet-3 test accuracy %2 % (IPC %3, %4 epochs)</source>
        <translation>%1：ConvNet-3 のテスト精度 %2 % (IPC %3、%4 エポック)</translation>
    </message>
</context>
<context>
    <name>TimelineView</name>
    <message>
        <source>Late fusion</source>
        <translation>後期融合</translation>
    </message>
    <message>
        <source>Early fusion</source>
        <translation>早期融合</translation>
    </message>
    <message>
        <source>%1
x_t</source>
        <translation>%1
x_t</translation>
    </message>
    <message>
        <source>%1
predicted x0</source>
        <translation>%1
予測 x0</translation>
    </message>
    <message>
        <source>step 1000 of 1000, t = 999</source>
        <translation>ステップ 1000 / 1000、t = 999</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>ステップ</translation>
    </message>
    <message>
        <source>sampling step</source>
        <translation>サンプリングステップ</translation>
    </message>
    <message>
        <source>step %1 of %2, t = %3</source>
        <translation>ステップ %1 / %2、t = %3</translation>
    </message>
    <message>
        <source>step %1 of %2</source>
        <translation>ステップ %1 / %2</translation>
    </message>
    <message>
        <source>Latent norm ‖x_t‖</source>
        <translation>潜在ノルム ‖x_t‖</translation>
    </message>
    <message>
        <source>Distance of predicted x0 to the mode</source>
        <translation>予測 x0 とモードの距離</translation>
    </message>
    <message>
        <source>Mode-guidance magnitude</source>
        <translation>モードガイダンスの大きさ</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Diffusion dataset distillation with early vision-language fusion</source>
        <translation>早期視覚言語融合 (EVLF) による拡散モデルのデータセット蒸留</translation>
    </message>
    <message>
        <source>could not write the screenshot to %1</source>
        <translation>スクリーンショットを %1 に書き込めませんでした</translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 に失敗しました：%2</translation>
    </message>
    <message>
        <source>timed out after %1 s waiting for the %2 view</source>
        <translation>%2 ビューの結果を %1 秒待ちましたが、タイムアウトしました</translation>
    </message>
    <message>
        <source>Open the model bundle in FOLDER.</source>
        <translation>FOLDER のモデルバンドルを開きます。</translation>
    </message>
    <message>
        <source>Show VIEW: compare, attention, timeline, analysis or curate.</source>
        <translation>VIEW を表示します (compare、attention、timeline、analysis、curate のいずれか)。</translation>
    </message>
    <message>
        <source>Save a PNG of the window to FILE and exit; with --view, once that view shows its first results.</source>
        <translation>ウィンドウの PNG を FILE に保存して終了します。--view を指定した場合は、そのビューに最初の結果が表示されてから保存します。</translation>
    </message>
</context>
</TS>
